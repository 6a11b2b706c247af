"""An exercise's last mutation report (solutions/NN_topic/mutation.md) and the digest of the check and probe files
it was run against, so that a report whose checks changed since can be told apart from a current one."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from autograder.contract.probe_files import PROBE_FILE
from autograder.course.schema import Exercise

REPORT_FILE = "mutation.md"
_DIGEST_LINE = re.compile(r"^checks digest: `sha256:([0-9a-f]{64})`", re.MULTILINE)


def checks_digest(folder: Path, exercise: Exercise) -> str:
    """sha256 over the exercise's check file and probe file (name and bytes of each, in that order)."""
    digest = hashlib.sha256()
    for name in (exercise.test_file, PROBE_FILE):
        path = folder / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return digest.hexdigest()


def digest_line(folder: Path, exercise: Exercise) -> str:
    """The line a report carries, naming the files and their digest."""
    return f"checks digest: `sha256:{checks_digest(folder, exercise)}` ({exercise.test_file}, {PROBE_FILE})"


def recorded_digest(report: str) -> str | None:
    """The digest a report's text records (None: it records none)."""
    found = _DIGEST_LINE.search(report)
    return found.group(1) if found else None
