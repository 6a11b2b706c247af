"""The check files read easily: no line of solutions/NN_topic/test_*.py runs over 110 characters (they are the check
authors' examples, and their visible part is what students read in exercises/)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECK_FILES = sorted(ROOT.glob("solutions/*/test_*.py"))
WIDTH = 110


@pytest.mark.parametrize("path", CHECK_FILES, ids=[p.parent.name for p in CHECK_FILES])
def test_no_line_of_a_check_file_runs_over_110_characters(path: Path) -> None:
    long = [f"{path.relative_to(ROOT)}:{n}: {len(line)} characters"
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if len(line) > WIDTH]
    assert not long, "\n".join(long)
