"""JUnit XML: one testcase per check, so any CI shows the checks natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from autograder.results import GradeReport


def to_junit(report: GradeReport) -> ET.ElementTree:
    """The report as a JUnit <testsuites> tree (one <testsuite> per exercise)."""
    root = ET.Element("testsuites", name="autograder", tests=str(len(report.checks)),
                      failures=str(sum(c.status == "failed" for c in report.checks)),
                      errors=str(sum(c.status == "error" for c in report.checks)),
                      time=f"{report.execution_time:.3f}")
    for exercise in report.exercises:
        suite = ET.SubElement(root, "testsuite", name=exercise.id, tests=str(len(exercise.checks)),
                              failures=str(sum(c.status == "failed" for c in exercise.checks)),
                              errors=str(sum(c.status == "error" for c in exercise.checks)),
                              skipped=str(sum(c.status == "skipped" for c in exercise.checks)))
        for check in exercise.checks:
            case = ET.SubElement(suite, "testcase", classname=exercise.id, name=check.title,
                                 time=f"{check.duration:.3f}")
            if check.status in ("failed", "error"):
                tag = "failure" if check.status == "failed" else "error"
                element = ET.SubElement(case, tag, message=check.message.splitlines()[0] if check.message else tag)
                element.text = check.message + (f"\nhint: {check.hint}" if check.hint else "")
            elif check.status == "skipped":
                ET.SubElement(case, "skipped", message=check.message)
    return ET.ElementTree(root)


def write_junit(report: GradeReport, path: Path) -> None:
    """Write the JUnit XML file."""
    tree = to_junit(report)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
