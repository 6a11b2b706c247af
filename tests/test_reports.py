"""Reports people read: the HTML report (opened in headless Chromium), Markdown summary, JUnit XML, terminal."""

from __future__ import annotations

import html
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.course import load_course
from autograder.results import CheckResult, ExerciseResult, GradeReport
from autograder.reports.html import render_html
from autograder.reports.junit import to_junit
from autograder.reports.markdown import to_markdown

CLI = [sys.executable, "-m", "autograder"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=5000"]
# Appended to a copy of the report: after load, write what a person would see into the DOM Chromium dumps.
PROBE_SCRIPT = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const probe = document.createElement("pre");
  probe.id = "browser-probe";
  probe.textContent = JSON.stringify({title: document.title, text: document.body.innerText, images: images.length,
    loaded: images.filter(i => i.complete && i.naturalWidth > 0).length});
  document.body.appendChild(probe);
});
</script>"""


def sample_report() -> GradeReport:
    """A small failing report with loss curves and a training-time ratio, built without grading."""
    epochs = np.arange(1, 51)
    iris = ExerciseResult("07_iris", "Classifying iris flowers", [
        CheckResult("07_iris", "accuracy_value", "accuracy returns the fraction of correct predictions", 1, "passed"),
        CheckResult("07_iris", "evaluate_no_grad_eval_mode", "evaluate runs in eval mode", 2, "failed",
                    "expected: eval mode\nobserved: <b>train mode</b>", hint="call model.eval() first"),
        CheckResult("07_iris", "train_zero_grad", "gradients are zeroed", 2, "failed", "stale gradients",
                    visibility="hidden")])
    basics = ExerciseResult("01_numpy_regression", "Linear regression with numpy", [
        CheckResult("01_numpy_regression", "generate_data_matches_tutorial", "data", 1, "passed")])
    curves = {"student.train": list(1.2 / epochs ** 0.3), "student.validation": list(1.3 / epochs ** 0.25),
              "reference.train": list(1.1 / epochs ** 0.5), "reference.validation": list(1.15 / epochs ** 0.45)}
    return GradeReport("/tmp/students/ada", [basics, iris], device="cpu", isolation="process: rlimits only",
                       torch_version="2.13.0", execution_time=12.5,
                       timing={"07_iris.ratio": 2.5, "07_iris.seconds": 5.0, "07_iris.reference_seconds": 2.0},
                       curves={"07_iris": curves})


def test_html_report_is_self_contained(course_root: Path) -> None:
    course = load_course(course_root / "course.yml")
    page = render_html(sample_report(), course)
    assert "<title>Grade report: ada — 2/6 points</title>" in page
    assert page.count('src="data:image/png;base64,') == 2, "the score chart and the 07_iris loss curves"
    assert not re.search(r'(src|href)="(https?:)?//', page), "nothing is loaded from the network"
    assert "&lt;b&gt;train mode&lt;/b&gt;" in page and "<b>train mode</b>" not in page
    assert "hint: call model.eval() first" in page
    assert course.exercise("07_iris").hints[0] in html.unescape(page), "course.yml hints for unfinished exercises"
    assert "2.50× reference" in page and "<strong>2.50×</strong> the reference solution's" in page
    assert "hidden check" in page and "process: rlimits only" in page


def test_markdown_summary_lists_scores_and_failures() -> None:
    text = to_markdown(sample_report())
    assert text.startswith("## Autograder: 2/6 points (33%)")
    assert "| ✅ 01_numpy_regression Linear regression with numpy | 1/1 | 1/1 |" in text
    assert "- ❌ **07_iris › evaluate runs in eval mode**" in text and "  > hint: call model.eval() first" in text
    assert "  > observed: &lt;b>train mode&lt;/b>" in text, "no raw HTML from student output"


def test_junit_is_read_by_a_junit_parser(tmp_path: Path) -> None:
    junitparser = pytest.importorskip("junitparser", reason="needs junitparser (the test extra: pip install -e '.[test]')")
    path = tmp_path / "junit.xml"
    to_junit(sample_report()).write(path, encoding="utf-8", xml_declaration=True)
    suites = {suite.name: list(suite) for suite in junitparser.JUnitXml.fromfile(str(path))}
    assert list(suites) == ["01_numpy_regression", "07_iris"]
    verdicts = {case.name: [type(r).__name__ for r in case.result] for case in suites["07_iris"]}
    assert verdicts == {"accuracy returns the fraction of correct predictions": [],
                        "evaluate runs in eval mode": ["Failure"], "gradients are zeroed": ["Failure"]}
    failure = next(case for case in suites["07_iris"] if case.name == "evaluate runs in eval mode").result[0]
    assert failure.message == "expected: eval mode" and "hint: call model.eval() first" in failure.text


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE")}
    return {**env, "TERM": "xterm-256color", "COLUMNS": "120", **extra}


def test_terminal_output_is_coloured_on_a_terminal_and_plain_when_piped(course_root: Path, tmp_path: Path) -> None:
    args = [*CLI, "grade", str(tmp_path), "--exercise", "01_numpy_regression"]  # empty: fails without a sandbox
    piped = subprocess.run(args, cwd=course_root, capture_output=True, text=True, env=_clean_env(), timeout=120)
    assert piped.returncode == 0 and "missing from the submission" in piped.stdout
    assert "\x1b[" not in piped.stdout
    leader, follower = pty.openpty()
    on_tty = subprocess.Popen(args, cwd=course_root, stdout=follower, stderr=subprocess.DEVNULL, env=_clean_env())
    os.close(follower)
    output = b""
    while chunk := _read(leader):
        output += chunk
    os.close(leader)
    assert on_tty.wait(timeout=120) == 0 and b"\x1b[" in output and b"missing from the submission" in output
    checks = load_course(course_root / "course.yml").exercise("01_numpy_regression").checks
    quiet = subprocess.run([*args, "--quiet"], cwd=course_root, capture_output=True, text=True, timeout=120)
    assert quiet.stdout.strip() == f"0/{sum(c.points for c in checks):g} (0%)"
    data = json.loads(subprocess.run([*args, "--json"], cwd=course_root, capture_output=True, text=True,
                                     timeout=120).stdout)
    assert data["score"] == 0 and len(data["tests"]) == len(checks)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the writer has gone
        return b""


# --- a failing submission, graded, opened in a real browser ------------------------------------------------

def chromium() -> str:
    """The path of Chromium; installs Debian's package where possible (.ci/install-os-packages), else skips."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        subprocess.run(["bash", str(Path(__file__).parents[1] / ".ci" / "install-os-packages")], timeout=900)
        found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium is not installed and could not be installed here (apt-get install chromium)")
    return found


def open_in_browser(page: Path, tmp_path: Path) -> tuple[dict, Path]:
    """Load `page` in headless Chromium: what the page shows (via PROBE_SCRIPT) and a full-page screenshot."""
    browser = chromium()
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE_SCRIPT + "</body>"), encoding="utf-8")
    base = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]
    dom = subprocess.run([*base, "--dump-dom", probed.as_uri()], capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="browser-probe">(.*?)</pre>', dom.stdout, re.S)
    assert match, f"the page did not finish loading in chromium: {dom.stderr[-2000:]}"
    screenshot = tmp_path / "report.png"
    subprocess.run([*base, f"--screenshot={screenshot}", "--window-size=1100,1800", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    return json.loads(html.unescape(match.group(1))), screenshot


@pytest.mark.slow
def test_failing_submission_reports_in_a_browser_and_a_junit_parser(course_root: Path, tmp_path: Path) -> None:
    report, junit, results, summary = (tmp_path / n for n in ("report.html", "junit.xml", "results.json", "s.md"))
    done = subprocess.run([*CLI, "grade", str(course_root / "tests" / "submissions" / "sample"), "--exercise",
                           "04_data", "--html", str(report), "--junit", str(junit), "--results", str(results),
                           "--markdown", str(summary)], cwd=course_root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(results.read_text())
    assert 0 < data["score"] < data["max_score"], "the sample's 04_data is partly wrong"
    total = f"{data['score']:g}/{data['max_score']:g} points"

    seen, screenshot = open_in_browser(report, tmp_path)
    assert seen["title"] == f"Grade report: sample — {total}"
    assert total in seen["text"] and "04_data" in seen["text"] and "✗ failed" in seen["text"]
    assert "shuffle=False" in seen["text"], "the failed check's message is on the page"
    assert seen["images"] >= 1 and seen["loaded"] == seen["images"], seen
    from matplotlib.image import imread

    pixels = imread(screenshot)
    assert pixels.shape[1] >= 1000 and len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50

    junitparser = pytest.importorskip("junitparser", reason="needs junitparser (the test extra: pip install -e '.[test]')")
    cases = [case for suite in junitparser.JUnitXml.fromfile(str(junit)) for case in suite]
    assert len(cases) == len(data["tests"])
    assert sum(bool(case.result) for case in cases) == sum(t["status"] == "failed" for t in data["tests"]) > 0
    assert summary.read_text().startswith(f"## Autograder: {total}")
