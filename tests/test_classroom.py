"""Grading a class: safe unpacking, the store, the gradebook and summary, and whole runs (killed, resumed, on Dask)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.classroom.discover import (UnsafeArchive, discover, graded_folder_problem, safe_extract,
                                           submission_hash, submission_root)
from autograder.classroom.gradebook import write_gradebook
from autograder.classroom.store import Outcome, Store
from autograder.classroom.summary import summary_table, write_summary
from autograder.course import load_course

CLI = [sys.executable, "-m", "autograder"]
EXERCISE = "05_training_loop"  # a cheap exercise with a mode check: the class tests stay fast
MODULE = "loop.py"


def _zip(path: Path, entries: dict[str, str], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in entries.items():
            zf.writestr(name, text)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


# --- safe unpacking ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../escape.py", "a/../../escape.py", "/etc/escape.py", "..\\escape.py",
                                  "C:/escape.py"])
def test_archive_entries_that_escape_are_refused(tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path / "s.zip", {"07_iris/iris.py": "x = 1", name: "pwned"})
    with pytest.raises(UnsafeArchive, match="outside the submission folder"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "escape.py").exists()


def test_symlinks_that_escape_are_refused_and_inner_ones_kept(tmp_path: Path) -> None:
    bad = _zip(tmp_path / "bad.zip", {}, links={"07_iris/data": "../../../etc"})
    with pytest.raises(UnsafeArchive, match="links outside"):
        safe_extract(bad, tmp_path / "bad")
    absolute = _zip(tmp_path / "abs.zip", {}, links={"passwd": "/etc/passwd"})
    with pytest.raises(UnsafeArchive, match="links outside"):
        safe_extract(absolute, tmp_path / "abs")
    good = _zip(tmp_path / "good.zip", {"07_iris/iris.py": "x = 1"}, links={"07_iris/alias.py": "iris.py"})
    safe_extract(good, tmp_path / "good")
    assert (tmp_path / "good" / "07_iris" / "alias.py").read_text() == "x = 1"


def test_a_link_then_a_file_through_it_cannot_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = _zip(tmp_path / "s.zip", {}, links={"d": "../outside"})
    with pytest.raises(UnsafeArchive):
        safe_extract(archive, tmp_path / "out")
    assert not any(outside.iterdir())


def _chain_links(at: str, depth: int, kit: Path) -> dict[str, str]:
    """Links that are each inside the folder when unpacked in this order, because the links they go through do not
    exist yet, and that together lead to the kit's solutions/: `at` -> .hidden/up/<kit>/solutions (while `up` is
    missing), .hidden/up -> x/x/.../.. (while x is missing), then .hidden/x -> . (so up climbs `depth` levels to /)."""
    return {at: f".hidden/up{kit / 'solutions'}", ".hidden/up": "/".join(["x"] * depth + [".."] * depth),
            ".hidden/x": "."}


def test_a_chain_of_links_each_inside_when_written_is_refused_once_all_exist(tmp_path: Path, course_root: Path) -> None:
    """Checked as each link is written, every one resolves inside; all together they reach / and the kit."""
    dest = tmp_path / "out"
    links = _chain_links("mallory", len(dest.resolve().parts) + 2, course_root)
    with pytest.raises(UnsafeArchive, match=r"links that lead outside its folder \(\.hidden/up, mallory\)"):
        safe_extract(_zip(tmp_path / "chain.zip", {}, links=links), dest)
    assert not dest.exists()
    # in an LMS export the entry holding the chain is refused, the other students are unpacked
    export = _zip(tmp_path / "export.zip", {"ann/07_iris/iris.py": "x = 1"},
                  links={f"mallory/{name}": target for name, target in
                         _chain_links("s", len((tmp_path / "unpacked" / "mallory").resolve().parts) + 2,
                                      course_root).items()})
    students = {s.id: s for s in discover(export, tmp_path / "unpacked")}
    assert sorted(students) == ["ann", "mallory"]
    assert not students["ann"].refused and (tmp_path / "unpacked" / "ann" / "07_iris" / "iris.py").is_file()
    assert "links that lead outside its folder (.hidden/up, s)" in students["mallory"].refused
    assert not (tmp_path / "unpacked" / "mallory").exists()


def test_a_graded_folder_never_goes_through_a_link(tmp_path: Path, course_root: Path) -> None:
    """A folder holding one link to the kit, a link to another student's folder, a student folder that is itself
    a link: none is descended into or graded; a link that stays inside is fine."""
    classroom = tmp_path / "class"
    (classroom / "ann" / "05_training_loop").mkdir(parents=True)
    (classroom / "ann" / "05_training_loop" / "loop.py").write_text("x = 1")
    (classroom / "kit_link").mkdir()
    (classroom / "kit_link" / "kit").symlink_to(course_root)
    (classroom / "peer" / "nested").mkdir(parents=True)
    (classroom / "peer" / "nested" / "05_training_loop").symlink_to(classroom / "ann" / "05_training_loop")
    (classroom / "alias").symlink_to(classroom / "ann")
    (classroom / "ann" / "05_training_loop" / "same.py").symlink_to("loop.py")
    assert submission_root(classroom / "kit_link") == classroom / "kit_link"  # the link is not descended into
    assert submission_root(classroom / "peer") == classroom / "peer" / "nested"
    assert "links that lead outside its folder (kit)" in graded_folder_problem(
        classroom / "kit_link", classroom / "kit_link", course_root)
    assert "(nested/05_training_loop)" in graded_folder_problem(
        classroom / "peer", classroom / "peer" / "nested", course_root)
    assert graded_folder_problem(classroom / "ann", classroom / "ann", course_root) is None
    assert "kit's own solutions" in graded_folder_problem(course_root / "solutions", course_root / "solutions",
                                                          course_root)
    students = {s.id: s for s in discover(classroom, tmp_path / "unused")}
    assert "alias is a link" in students["alias"].refused and not students["ann"].refused


def test_size_and_count_caps(tmp_path: Path) -> None:
    big = _zip(tmp_path / "big.zip", {"a.py": "x" * 5000})
    with pytest.raises(UnsafeArchive, match="more than"):
        safe_extract(big, tmp_path / "big", max_bytes=4096)
    many = _zip(tmp_path / "many.zip", {f"f{i}.py": "" for i in range(11)})
    with pytest.raises(UnsafeArchive, match="11 entries"):
        safe_extract(many, tmp_path / "many", max_files=10)


def test_an_archive_that_lies_about_its_sizes_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "lie.zip", {"a.py": "x" * 5000})
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.infolist()[0]
    # claim 10 bytes in the central directory: the declared-size check passes, unpacking must still refuse
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24:central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    assert info.file_size == 5000
    with pytest.raises(UnsafeArchive):
        safe_extract(archive, tmp_path / "out", max_bytes=4096)


def test_corrupt_archive_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "c.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(UnsafeArchive, match="could not be unpacked"):
        safe_extract(archive, tmp_path / "out")


def test_discover_folders_zips_and_an_lms_export(tmp_path: Path) -> None:
    lms = tmp_path / "export"
    (lms / "Alice Smith_123").mkdir(parents=True)
    _zip(lms / "bob_456.zip", {"bob/07_iris/iris.py": "x = 1"})
    (lms / ".DS_Store").write_text("")
    students = discover(lms, tmp_path / "unused")
    assert [s.id for s in students] == ["Alice_Smith_123", "bob_456"]
    assert [s.is_archive for s in students] == [False, True]
    export = tmp_path / "export.zip"
    shutil.make_archive(str(export.with_suffix("")), "zip", lms)
    from_zip = discover(export, tmp_path / "unpacked")
    assert [s.id for s in from_zip] == ["Alice_Smith_123", "bob_456"]
    safe_extract(from_zip[1].source, tmp_path / "bob")
    assert submission_root(tmp_path / "bob") == tmp_path / "bob" / "bob"
    (lms / "Alice Smith 123").mkdir()
    (lms / "carol").mkdir()
    clash = {s.id: s for s in discover(lms, tmp_path / "unused")}
    assert sorted(clash) == ["Alice_Smith_123", "bob_456", "carol"]  # the others are still found
    assert "2 submissions map to the student id 'Alice_Smith_123' (Alice Smith 123, Alice Smith_123)" in \
        clash["Alice_Smith_123"].refused
    assert not clash["bob_456"].refused and not clash["carol"].refused


def test_submission_hash_changes_with_content(tmp_path: Path) -> None:
    (tmp_path / "s" / "07_iris").mkdir(parents=True)
    (tmp_path / "s" / "07_iris" / "iris.py").write_text("x = 1")
    before = submission_hash(tmp_path / "s")
    assert submission_hash(tmp_path / "s") == before
    (tmp_path / "s" / "07_iris" / "iris.py").write_text("x = 2")
    assert submission_hash(tmp_path / "s") != before


# --- store, gradebook, summary (no grading) ------------------------------------------------------------------

def _outcome(student: str, passed: bool) -> Outcome:
    tests = [{"name": "07_iris › evaluate under no_grad", "score": 2.0 if passed else 0.0, "max_score": 2.0,
              "status": "passed" if passed else "failed"},
             {"name": "07_iris › loss decreases", "score": 1.0, "max_score": 1.0, "status": "passed"}]
    results = {"score": sum(t["score"] for t in tests), "max_score": 3.0, "tests": tests}
    return Outcome(student, "h-" + student, "k", results, "report", {"07_iris": results["score"]}, {"07_iris": 3.0})


def test_store_commits_atomically_and_counts_gradings(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.commit(_outcome("ann", True))
    assert store.is_current("ann", "h-ann", "k")
    assert not store.is_current("ann", "other-hash", "k") and not store.is_current("ann", "h-ann", "other-key")
    assert store.gradings() == ["ann"]
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    (store.folder("ann") / "manifest.json").unlink()   # as if stopped before the manifest: not done
    assert not store.is_current("ann", "h-ann", "k")


def test_gradebook_and_summary(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for student, passed in [("ann", True), ("ben", False), ("cy", False), ("dee", True)]:
        store.commit(_outcome(student, passed))
    stored = store.outcomes(["ann", "ben", "cy", "dee"])
    write_gradebook(tmp_path / "gradebook.csv", ["07_iris"], stored)
    rows = list(csv.DictReader((tmp_path / "gradebook.csv").open()))
    assert list(rows[0]) == ["student_id", "07_iris", "raw_total", "late_penalty", "total", "max_total",
                             "submitted_at"]
    assert [(r["student_id"], r["total"]) for r in rows] == [("ann", "3"), ("ben", "1"), ("cy", "1"), ("dee", "3")]
    table = write_summary(tmp_path, [results for _, results in stored.values()])
    assert "07_iris › evaluate under no_grad: failed by 50 %" in table
    assert "loss decreases" not in table
    assert (tmp_path / "summary.png").read_bytes()[:4] == b"\x89PNG"
    assert summary_table([]).startswith("0 students")


# --- whole classes --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory, course_root: Path) -> Path:
    """Eleven students: correct, hostile (sys.exit at import), wrong (no no_grad), empty, corrupt and escaping zips,
    and the file system's attacks, each of which must score 0 with a message: a zip whose chain of links (each inside
    when written) leads to the kit's solutions/, a folder holding a link to the kit, one linking to another student's
    folder, a student folder that is a link, and two names that map to one id (the reference solution, twice)."""
    root = tmp_path_factory.mktemp("class") / "submissions"
    solution = (course_root / "solutions" / EXERCISE / MODULE).read_text()
    for name, source in [("a_correct", solution),
                         ("b_hostile", "import sys\nsys.exit(0)\n" + solution),
                         ("c_wrong", (course_root / "tests/submissions/sample" / EXERCISE / MODULE).read_text()),
                         ("Carol Jones", solution), ("Carol_Jones", solution)]:
        (root / name / EXERCISE).mkdir(parents=True)
        (root / name / EXERCISE / MODULE).write_text(source)
    (root / "d_empty").mkdir()
    (root / "e_corrupt.zip").write_bytes(b"PK\x03\x04 truncated")
    _zip(root / "f_escape.zip", {f"{EXERCISE}/{MODULE}": solution, "../../escaped.py": "print('out')"})
    # a zip is unpacked into a temporary folder: 64 levels up is / from anywhere
    _zip(root / "m_chain.zip", {}, links=_chain_links("mallory", 64, course_root))
    (root / "n_kit_link").mkdir()
    (root / "n_kit_link" / "kit").symlink_to(course_root)
    (root / "o_peer").mkdir()
    (root / "o_peer" / EXERCISE).symlink_to(root / "a_correct" / EXERCISE)
    (root / "p_alias").symlink_to(root / "a_correct")
    return root


def _grade_all(course_root: Path, submissions: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    args = [*CLI, "grade-all", str(submissions), "--out", str(out), "--exercise", EXERCISE, "--timeout", "60", *extra]
    return subprocess.Popen(args, cwd=course_root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def _finished(out: Path) -> int:
    return len(list(out.glob("students/*/manifest.json")))


def _stop_after(process: subprocess.Popen[str], out: Path, results: int, sig: signal.Signals) -> None:
    deadline = time.monotonic() + 600
    while _finished(out) < results and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be interrupted:\n" + process.communicate()[0]
    process.send_signal(sig)
    process.communicate(timeout=120)


def _scores(out: Path) -> dict[str, tuple[float, dict[str, str]]]:
    found = {}
    for folder in sorted((out / "students").iterdir()):
        results = json.loads((folder / "results.json").read_text())
        found[folder.name] = (results["score"], {t["name"]: t["status"] for t in results["tests"]})
    return found


CLASS = ("Carol_Jones", "a_correct", "b_hostile", "c_wrong", "d_empty", "e_corrupt", "f_escape", "m_chain",
         "n_kit_link", "o_peer", "p_alias")
REFUSED = ("Carol_Jones", "e_corrupt", "f_escape", "m_chain", "n_kit_link", "o_peer", "p_alias")


def _assert_class_scores(out: Path, max_score: float) -> None:
    scores = _scores(out)
    assert set(scores) == set(CLASS)
    assert scores["a_correct"][0] == max_score
    assert 0 < scores["c_wrong"][0] < max_score
    wrong = [name for name, status in scores["c_wrong"][1].items() if status != "passed"]
    assert any("eval" in name for name in wrong), wrong
    for student in ("b_hostile", "d_empty", *REFUSED):
        assert scores[student][0] == 0, student
    def text(student: str, name: str = "report.txt") -> str:   # reports wrap long lines
        return " ".join((out / "students" / student / name).read_text().split())

    assert "outside the submission folder" in text("f_escape")
    assert "could not be unpacked" in text("e_corrupt")
    assert "called exit" in text("b_hostile")
    assert "called exit" in text("b_hostile", "report.html")
    assert "links that lead outside its folder (.hidden/up, mallory)" in text("m_chain")
    assert "links that lead outside its folder (kit)" in text("n_kit_link")
    assert f"links that lead outside its folder ({EXERCISE})" in text("o_peer")
    assert "p_alias is a link" in text("p_alias")
    assert "2 submissions map to the student id 'Carol_Jones' (Carol Jones, Carol_Jones)" in text("Carol_Jones")
    summary = " ".join((out / "summary.txt").read_text().split())
    assert f"{len(REFUSED)} submission(s) refused, scored 0:" in summary and "m_chain: submission refused" in summary


@pytest.fixture(scope="module")
def graded_locally(classroom: Path, course_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The class graded with --jobs 2, interrupted by Ctrl-C, then killed, then finished; and the time it took."""
    out = tmp_path_factory.mktemp("graded") / "out"
    start = time.monotonic()
    _stop_after(_grade_all(course_root, classroom, out, "--jobs", "2"), out, 1, signal.SIGINT)
    _stop_after(_grade_all(course_root, classroom, out, "--jobs", "2"), out, _finished(out) + 1, signal.SIGKILL)
    time.sleep(2)   # the killed run's workers stop with it
    done = _grade_all(course_root, classroom, out, "--jobs", "2")
    output = done.communicate(timeout=900)[0]
    assert done.returncode == 0, output
    return out, time.monotonic() - start


@pytest.mark.slow
def test_interrupted_class_is_resumed_and_every_student_graded_once(graded_locally: tuple[Path, float],
                                                                     classroom: Path, course_root: Path) -> None:
    out, seconds = graded_locally
    print(f"kill/resume run: {seconds:.0f} s")
    store = Store(out)
    assert sorted(store.gradings()) == sorted(CLASS)
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    assert not (classroom.parent / "escaped.py").exists() and not list(classroom.parent.parent.glob("escaped.py"))
    max_score = load_course(course_root / "course.yml").exercise(EXERCISE).max_points
    _assert_class_scores(out, max_score)
    again = _grade_all(course_root, classroom, out, "--jobs", "2")
    assert f"0 to grade, {len(CLASS)} already graded" in again.communicate(timeout=300)[0]
    assert len(store.gradings()) == len(CLASS)
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert list(rows[0]) == ["student_id", EXERCISE, "raw_total", "late_penalty", "total", "max_total",
                             "submitted_at"]
    assert {r["student_id"]: float(r["total"]) for r in rows}["a_correct"] == max_score
    assert len(rows) == len(CLASS)
    assert (out / "summary.png").stat().st_size > 1000
    summary = (out / "summary.txt").read_text()
    wrong = [name for name, status in _scores(out)["c_wrong"][1].items() if status != "passed"]
    assert f"{wrong[0]}: failed by 91 %" in summary.splitlines()   # all but a_correct failed it (10 of 11)


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_results(graded_locally: tuple[Path, float], classroom: Path,
                                                     course_root: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    out = tmp_path / "dask"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = _grade_all(course_root, classroom, out, "--cluster", cluster.scheduler_address)
        output = run.communicate(timeout=900)[0]
    assert run.returncode == 0, output
    assert _scores(out) == _scores(graded_locally[0])
    assert (out / "gradebook.csv").read_text() == (graded_locally[0] / "gradebook.csv").read_text()



@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the worker's threads from /proc")
def test_a_grade_all_worker_starts_with_one_blas_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy is imported before the worker's code runs: the one-thread settings must be in its environment at spawn,
    or OpenBLAS starts a thread per core in every worker, and two workers fight over two cores."""
    import multiprocessing as mp

    from autograder.classroom.workers import _Worker

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    worker = _Worker(mp.get_context("spawn"), tmp_path / "store")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "numpy" not in Path(f"/proc/{worker.process.pid}/maps").read_text():
            time.sleep(0.1)
        time.sleep(0.5)
        environ = Path(f"/proc/{worker.process.pid}/environ").read_bytes().split(b"\0")
        assert b"OPENBLAS_NUM_THREADS=1" in environ and b"OMP_NUM_THREADS=1" in environ
        assert len(list(Path(f"/proc/{worker.process.pid}/task").iterdir())) == 1
        assert "OMP_NUM_THREADS" not in os.environ      # the parent's own environment is left as it was
    finally:
        worker.stop()
        worker.join()


# --- one student's code against the next one's grade ------------------------------------------------------------

# The next child of the warm sandbox is forked while the current one runs, with its work folder already made: this
# submission writes, into every work folder but its own, the marker the server reads as "this child took its
# request" and a line in its output log. Without a clean folder at each request, the next student's first check
# ends as a child that took its request and sent nothing back, and shows this student's words as theirs.
PLANTER = '''
import glob
import os
import threading
import time


def _plant_in_the_next_childs_folder():
    own = os.path.realpath(os.getcwd())
    while True:
        for folder in glob.glob(os.path.join(os.path.dirname(own), "check-*")):
            if os.path.realpath(folder) != own:
                try:
                    open(os.path.join(folder, ".received"), "w").close()
                    with open(os.path.join(folder, "output.log"), "a") as log:
                        log.write("PLANTED by the student graded before you\\n")
                except OSError:
                    pass
        time.sleep(0.005)


threading.Thread(target=_plant_in_the_next_childs_folder, daemon=True).start()
'''


@pytest.mark.slow
def test_a_submission_cannot_reach_the_next_students_grade_through_the_warm_sandbox(course_root: Path,
                                                                                     tmp_path: Path) -> None:
    from autograder.sandbox import SandboxUnavailable, detect_isolation

    try:
        detect_isolation("bwrap")
    except SandboxUnavailable as exc:
        pytest.skip(f"needs the bubblewrap sandbox (its pid namespace ends a student's processes): {exc}")
    exercise = "01_numpy_regression"
    reference = (course_root / "solutions" / exercise / "regression.py").read_text()
    submissions = tmp_path / "class"
    for student, source in (("a_honest", reference), ("b_planter", reference + PLANTER), ("c_honest", reference),
                            ("d_planter", reference + PLANTER), ("e_honest", reference)):
        (submissions / student / exercise).mkdir(parents=True)
        (submissions / student / exercise / "regression.py").write_text(source)
    out = tmp_path / "graded"
    done = subprocess.run([*CLI, "grade-all", str(submissions), "--out", str(out), "--jobs", "1", "--exercise",
                           exercise, "--isolation", "bwrap", "--course", str(course_root)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    totals = {r["student_id"]: r["total"] for r in csv.DictReader((out / "gradebook.csv").open())}
    assert all(totals[s] == "10" for s in ("a_honest", "c_honest", "e_honest")), totals
    # Which student the next child serves is the server's affair: a planter's own later checks stand for it. Before
    # each child took its folder afresh they showed the planted line as the output of their own code. (What the
    # planter's thread does to its own checks, e.g. opening files while the guard is at work, is its own loss.)
    for student in totals:
        report = (out / "students" / student / "report.txt").read_text()
        assert "PLANTED" not in report, (student, report)
        assert "honest" not in student or "before returning a result" not in report, (student, report)
