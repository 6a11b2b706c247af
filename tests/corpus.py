"""The submission corpus: example submissions with the grade each must get.

Layout (one folder per case under tests/submissions/)::

    tests/submissions/<case>/case.yml
    tests/submissions/<case>/<exercise>/<module>     optional full files; they win over patches
    tests/submissions/<case>/<anything else>         copied into the submission as is (e.g. a conftest.py)

case.yml::

    description: one line saying what the student did
    exercises: [07_iris]            # graded with GradeOptions(exercises=(...))
    timeout: 10                     # optional: GradeOptions(timeout=...), the per-check time limit
    requires: bwrap                 # optional: bwrap and/or cgroups; the test is skipped (visibly) without them
    patches:                        # optional: module = reference solution with exact text replacements
      07_iris/iris.py:
        - old: "        model.eval()\\n"
          new: ""
    expect:
      pass: all                     # or a list of check ids that must pass
      fail:                         # check id -> substring of the failure message (case-insensitive)
        evaluate_no_grad_eval_mode: "eval mode"
      feedback:                     # optional: check id (one in fail) -> words its message must all contain
        evaluate_no_grad_eval_mode: [model.eval(), no_grad]
      score: 0                      # optional exact total score
      max_score: 14                 # optional: no more than this (e.g. what the honest mistake scores)
      max_message_chars: 4000       # optional: no check message is longer
      output_lacks: ["@probe"]      # optional: no check's message or the output it shows contains these
      no_process_with: MARKER       # optional: after grading, no process has MARKER in its command line
      max_dead_servers: 2           # optional: at most this many probes ended with the fork server dead or stopped

A case named hostile_*, forge_* or hang_* is an attack (tests/test_corpus_attacks.py), any other an honest
submission (tests/test_corpus.py). Cases that grade the same exercises share a warm sandbox (WarmSandboxes).

Every exercise listed without a file or patches gets the reference solution. The slow training-time
check runs only in cases that name it in `pass` or `fail`. Checks that are in
neither `pass` nor `fail` are not constrained, except that no check may end in status "error"
(a grader error is always a mismatch), and grading must leave the submission folder unchanged.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from pathlib import Path
from typing import Literal

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autograder.course import load_course
from autograder.judge.grader import GradeOptions, Grader
from autograder.results import GradeReport
from autograder.sandbox import SandboxUnavailable, detect_isolation

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = Path(__file__).resolve().parent / "submissions"
CASE_FILE = "case.yml"
SENTINEL = "results.json"  # a "real" results file next to the submission; grading must not touch it
SENTINEL_TEXT = '{"score": 0.0, "note": "written by the corpus harness; must stay unchanged"}\n'

Requirement = Literal["bwrap", "cgroups"]


class CaseError(Exception):
    """A case that cannot be built (bad case.yml, a patch that no longer applies)."""


class Patch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old: str
    new: str


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    pass_: Literal["all"] | list[str] = Field(default_factory=list, alias="pass")
    fail: dict[str, str] = Field(default_factory=dict)
    feedback: dict[str, list[str]] = Field(default_factory=dict)
    score: float | None = None
    max_score: float | None = None
    max_message_chars: int | None = None
    output_lacks: list[str] = Field(default_factory=list)
    no_process_with: str | None = None
    max_dead_servers: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Expect":
        if self.pass_ == "all" and self.fail:
            raise ValueError("`pass: all` leaves no check to fail; list the passing checks instead")
        both = set(self.fail) & set(self.pass_ if isinstance(self.pass_, list) else [])
        if both:
            raise ValueError(f"checks both in pass and fail: {sorted(both)}")
        if set(self.feedback) - set(self.fail):
            raise ValueError(f"feedback for checks not in fail: {sorted(set(self.feedback) - set(self.fail))}")
        return self


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    folder: Path
    description: str
    exercises: list[str]
    timeout: float | None = None
    requires: list[Requirement] = Field(default_factory=list)
    patches: dict[str, list[Patch]] = Field(default_factory=dict)
    expect: Expect

    @field_validator("requires", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


ATTACK_PREFIXES = ("hostile_", "forge_", "hang_")  # a case named so is an attack on the grader, not a student's work


def case_names(attacks: bool | None = None) -> list[str]:
    """Every case; only the attacks (attacks=True) or only the honest submissions (attacks=False)."""
    names = sorted(p.name for p in CASES_DIR.iterdir() if (p / CASE_FILE).is_file())
    return [n for n in names if attacks is None or n.startswith(ATTACK_PREFIXES) == attacks]


def load_case(name: str) -> Case:
    folder = CASES_DIR / name
    try:
        data = yaml.safe_load((folder / CASE_FILE).read_text())
        return Case(name=name, folder=folder, **data)
    except Exception as exc:  # noqa: BLE001 - any problem with the file is the case's fault
        raise CaseError(f"{name}/{CASE_FILE} is invalid: {exc}") from exc


def _apply(name: str, target: str, text: str, patches: list[Patch]) -> str:
    for i, patch in enumerate(patches, 1):
        count = text.count(patch.old)
        if count != 1:
            where = "not found" if count == 0 else f"found {count} times (make it longer)"
            raise CaseError(f"case {name}: patch {i} of {target}: the `old` text is {where} in "
                            f"solutions/{target} (did the reference solution change?): {patch.old!r}")
        text = text.replace(patch.old, patch.new)
    return text


def materialize(case: Case, dest: Path) -> Path:
    """Build the case's submission in dest/submission, new or empty (plus the sentinel dest/results.json); return it."""
    course = load_course(ROOT / "course.yml")
    submission = dest / "submission"
    submission.mkdir(parents=True, exist_ok=True)
    if any(submission.iterdir()):
        raise CaseError(f"case {case.name}: {submission} is not empty")
    modules = {f"{e}/{course.exercise(e).module}" for e in case.exercises}
    unknown = set(case.patches) - modules
    if unknown:
        raise CaseError(f"case {case.name}: patches for {sorted(unknown)}, which are not modules of {case.exercises}")
    for target in sorted(modules):
        source = ROOT / "solutions" / target
        text = _apply(case.name, target, source.read_text(), case.patches.get(target, []))
        (submission / target).parent.mkdir(parents=True, exist_ok=True)
        (submission / target).write_text(text)
    for path in sorted(case.folder.rglob("*")):  # shipped files win over patches
        relative = path.relative_to(case.folder)
        if path.is_file() and relative != Path(CASE_FILE) and "__pycache__" not in relative.parts:
            (submission / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, submission / relative)
    (dest / SENTINEL).write_text(SENTINEL_TEXT)
    return submission


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 (or "<dir>") of everything under folder."""
    out = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        out[key] = "<dir>" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def processes_with(marker: str, wait: float = 15.0) -> list[str]:
    """'pid: cmdline' of every process whose command line contains marker (waits up to `wait` s for them to go)."""
    end = time.monotonic() + wait
    while True:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(f"{entry}: {cmdline.strip()}")
        if not found or time.monotonic() >= end:
            return found
        time.sleep(0.2)


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " …"


SLOW_CHECKS = ("training_time",)  # 4 runs of 3000 epochs: only run in cases that expect something of them


def skipped_checks(case: Case) -> tuple[str, ...]:
    """The slow checks a case states no expectation about: they are left out of its grading."""
    named = set(case.expect.fail) | (set() if case.expect.pass_ == "all" else set(case.expect.pass_))
    return tuple(c for c in SLOW_CHECKS if not any(n == c or n.endswith("/" + c) for n in named))


# What a student must never read in a check's message: torch's name for the stand-in device without the words that
# say what it is, or a bare None where an observation should be. Hostile cases are exempt: their code's own text may
# say anything.
RAW_INTERNALS = re.compile(r"observed: None\b|=None\b|: None$", re.MULTILINE)
BARE_META = re.compile(r"\bmeta\b")


def raw_internals(message: str) -> re.Match[str] | None:
    """Where the message shows the grader's internals (see RAW_INTERNALS), or None."""
    meta = BARE_META.search(message)
    return meta if meta and "stand-in" not in message else RAW_INTERNALS.search(message)
HOSTILE = ("forge_", "hostile_", "hang_")


def compare(case: Case, report: GradeReport) -> list[str]:
    """Human-readable differences between the report and the case's expectations ([] if it matches)."""
    course = load_course(ROOT / "course.yml")
    skipped = skipped_checks(case)
    # a check is named by its id, or as exercise/id where two exercises share an id
    known = {name for e in case.exercises for c in course.exercise(e).checks if c.id not in skipped
             for name in (c.id, f"{e}/{c.id}")}
    results = {name: c for c in report.checks if c.exercise in case.exercises
               for name in (c.check, f"{c.exercise}/{c.check}")}
    problems: list[str] = []
    expect = case.expect
    wanted_pass = sorted(k for k in known if "/" in k) if expect.pass_ == "all" else expect.pass_
    for check in sorted(set(wanted_pass) | set(expect.fail)):
        if check not in known:
            problems.append(f"{check}: no such check in {case.exercises} (typo, or was it renamed?)")
    for check in sorted(k for k in known - set(results) if "/" in k):
        problems.append(f"{check}: missing from the report")
    for check in wanted_pass:
        got = results.get(check)
        if got is not None and got.status != "passed":
            problems.append(f"{check}: expected passed, got {got.status}: {_short(got.message)}")
    for check, text in expect.fail.items():
        got = results.get(check)
        if got is None:
            continue
        if got.status != "failed":
            problems.append(f"{check}: expected failed (with {text!r}), got {got.status}: {_short(got.message)}")
        elif text.casefold() not in got.message.casefold():
            problems.append(f"{check}: failed as expected, but the message lacks {text!r}: {_short(got.message)}")
        lacking = [word for word in expect.feedback.get(check, []) if word.casefold() not in got.message.casefold()]
        if got.status == "failed" and lacking:
            problems.append(f"{check}: the feedback does not name its cause: it lacks {lacking}: {_short(got.message)}")
    graded = list({id(c): c for c in results.values()}.values())
    for got in graded:
        shown_to_student = got.status == "failed" and not case.name.startswith(HOSTILE)
        raw = raw_internals(got.message) if shown_to_student else None
        if raw:
            problems.append(f"{got.check}: its feedback shows the grader's internals ({raw.group(0)!r}): "
                            f"{_short(got.message[max(raw.start() - 100, 0):])}")
    for got in graded:
        if got.status == "error" and got.check not in expect.fail:
            problems.append(f"{got.check}: grader error: {_short(got.message)}")
        shown = f"{got.message}\n{got.output}"
        problems += [f"{got.check}: its feedback shows {text!r}: {_short(shown[shown.index(text) - 100:])}"
                     for text in expect.output_lacks if text in shown]
        if expect.max_message_chars is not None and len(got.message) > expect.max_message_chars:
            problems.append(f"{got.check}: message of {len(got.message)} characters, "
                            f"more than {expect.max_message_chars}")
    if expect.score is not None and abs(report.score - expect.score) > 1e-9:
        problems.append(f"score: expected {expect.score:g}, got {report.score:g}")
    if expect.max_score is not None and report.score > expect.max_score + 1e-9:
        problems.append(f"score: expected at most {expect.max_score:g}, got {report.score:g}")
    dead = sum(probe.get("status") == "server_died" for probe in report.probes)
    if expect.max_dead_servers is not None and dead > expect.max_dead_servers:
        problems.append(f"{dead} probes ended with the fork server dead or stopped, more than "
                        f"{expect.max_dead_servers}: its deaths are not charged to the exercise's time budget")
    return problems


def _missing_requirement(case: Case) -> str | None:
    """Why this machine cannot grade the case as it asks (None when it can)."""
    if "bwrap" in case.requires:
        try:
            level = detect_isolation("bwrap")
        except SandboxUnavailable as exc:
            return f"case {case.name} needs bwrap isolation, which is unusable here: {exc}"
    else:
        level = detect_isolation()
    if "cgroups" in case.requires and not level.cgroups:
        return f"case {case.name} needs writable memory+pids cgroups, which this machine does not offer"
    return None


class WarmSandboxes:
    """The corpus's sandboxes, kept warm across cases: one folder per group of cases that grade the same exercises
    at the same isolation level, and one warm Grader per level, whose sandbox on a group's folder grades each case
    written into that folder in turn.

    This is how `autograder check --watch` grades each save: the fork server never runs submitted code, and every
    probe imports the submission afresh in a new child, so a case meets the server exactly as a fresh sandbox would
    start it (a case that kills the server gets a new one). The corpus then pays torch's import once per group, not
    once per case. A level's reference sandbox and its memoized observations are shared by all its groups.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.graders: dict[str, Grader] = {}
        self.groups: dict[tuple[tuple[str, ...], str | None], Path] = {}

    @staticmethod
    def isolation(case: Case) -> str | None:
        return "bwrap" if "bwrap" in case.requires else None

    def grader(self, case: Case) -> Grader:
        """The warm grader of the case's isolation level (one for "bwrap" and the default when they are the same)."""
        level = detect_isolation(self.isolation(case)).name
        if level not in self.graders:
            self.graders[level] = Grader(ROOT, isolation=self.isolation(case), warm=True)
        return self.graders[level]

    def place(self, case: Case) -> Path:
        """Write the case into its group's folder (emptied first) and return the submission folder."""
        key = (tuple(case.exercises), self.isolation(case))
        dest = self.groups.setdefault(key, self.root / f"group-{len(self.groups)}")
        submission = dest / "submission"  # the sandbox has this very folder in view: empty it, never replace it
        for path in submission.iterdir() if submission.is_dir() else ():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        (dest / SENTINEL).unlink(missing_ok=True)
        return materialize(case, dest)

    def close(self) -> None:
        for grader in self.graders.values():
            grader.close()


def check_case(name: str, warm: WarmSandboxes) -> None:
    """Grade the case in its warm sandbox and fail (AssertionError) on any difference from its expectations or any
    trace it left; skip (visibly) a case this machine cannot grade as it asks."""
    case = load_case(name)
    reason = _missing_requirement(case)
    if reason:
        pytest.skip(reason)
    submission = warm.place(case)
    before = snapshot(submission.parent)
    options = GradeOptions(exercises=tuple(case.exercises), timeout=case.timeout, skip=tuple(skipped_checks(case)))
    report = warm.grader(case).grade(submission, options)
    problems = compare(case, report)
    after = snapshot(submission.parent)
    if after != before:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        problems.append(f"grading changed the submission folder or {SENTINEL}: {changed}")
    if case.expect.no_process_with:
        left = processes_with(case.expect.no_process_with)
        if left:
            problems.append(f"processes left behind after grading: {left}")
    assert not problems, f"{case.name} ({case.description}):\n  " + "\n  ".join(problems)
