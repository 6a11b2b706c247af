"""Sandboxed sessions shared across one grading run (one per submission folder) and across many (the reference)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.contract.plan import Plan
from autograder.judge.session import Session
from autograder.sandbox import IsolationLevel, Limits


@dataclass
class SharedReference:
    """A reference-solution sandbox and its memoized observations, reused across many grade() calls."""

    session: Session
    memo: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.session.close()


class SessionPool:
    """One fork server per submission folder, started on first use and shared by all exercises.

    Sessions in `borrowed` belong to the caller: they are used but never closed here.
    """

    def __init__(self, level: IsolationLevel, limits: Limits, borrowed: dict[Path, Session] | None = None,
                 preload: dict[Path, Plan] | None = None, probe_files: list[Path] | None = None) -> None:
        self.level, self.limits = level, limits
        self.probe_files = list(probe_files or [])
        self.preload = {folder.resolve(): stages for folder, stages in (preload or {}).items()}
        self.borrowed = dict(borrowed or {})
        self.sessions: dict[Path, Session] = dict(self.borrowed)

    def get(self, folder: Path) -> Session:
        folder = folder.resolve()
        if folder not in self.sessions:
            self.sessions[folder] = Session(folder, level=self.level, limits=self.limits,
                                            preload=self.preload.get(folder), probe_files=self.probe_files)
            self.sessions[folder].start()
        return self.sessions[folder]

    def close(self) -> None:
        for folder, session in self.sessions.items():
            if folder not in self.borrowed:
                session.close()
        self.sessions = dict(self.borrowed)
