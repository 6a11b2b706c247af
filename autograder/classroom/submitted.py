"""When each student submitted: a `submitted_at` CSV, the time in the LMS download's file name, or (last resort)
the newest modification time of the submission's files."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

# Blackboard's `..._attempt_2026-03-02-10-15-00...`, and the same date-time with `T`, `_`, `:` or a space
NAME_TIME = re.compile(r"(?:_?attempt)?[_ -]?(\d{4})-(\d{2})-(\d{2})[T_ -](\d{2})[-:](\d{2})[-:](\d{2})")

FROM_CSV = "the submitted_at CSV"
FROM_NAME = "the file name"
FROM_MTIME = "the folder's modification time (no CSV or file-name time)"


@dataclass(frozen=True)
class Submitted:
    """A student's submission time and where it came from."""

    at: datetime
    source: str


def time_in_name(name: str, zone: str) -> datetime | None:
    """The date-time written in an LMS download's file name (in the course's time zone), or None."""
    match = NAME_TIME.search(name)
    if match is None:
        return None
    return datetime(*map(int, match.groups()), tzinfo=ZoneInfo(zone))


def without_time(name: str) -> str:
    """The name with its submission time taken out (`jdoe_attempt_2026-03-02-10-15-00` → `jdoe`)."""
    return NAME_TIME.sub("", name)


def read_submitted_at(path: Path, zone: str) -> dict[str, datetime]:
    """student_id → submission time, from a CSV with `student_id,submitted_at` (ISO; no offset means `zone`)."""
    times = {}
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            try:
                at = datetime.fromisoformat(row["submitted_at"].strip())
                times[row["student_id"].strip()] = at if at.tzinfo else at.replace(tzinfo=ZoneInfo(zone))
            except (KeyError, AttributeError, ValueError) as exc:
                raise ValueError(f"{path}, line {line}: expected student_id,submitted_at with an ISO date-time "
                                 f"({exc})") from None
    return times


def _newest_mtime(source: Path) -> datetime:
    files = [source] if source.is_file() else [p for p in source.rglob("*") if p.is_file()] or [source]
    return datetime.fromtimestamp(max(p.stat().st_mtime for p in files), tz=timezone.utc)


def submission_time(student_id: str, source: Path, from_csv: dict[str, datetime], zone: str) -> Submitted:
    """The best-known submission time: the CSV's, else the file name's, else the files' newest mtime."""
    if student_id in from_csv:
        return Submitted(from_csv[student_id], FROM_CSV)
    in_name = time_in_name(source.name, zone)
    if in_name is not None:
        return Submitted(in_name, FROM_NAME)
    return Submitted(_newest_mtime(source), FROM_MTIME)
