"""The sandboxed sessions of a grading: one fork server per folder (a submission, the reference solutions)."""

from __future__ import annotations

from pathlib import Path

from autograder.contract.plan import Plan
from autograder.judge.session import Session
from autograder.sandbox import IsolationLevel, Limits


class SessionPool:
    """One fork server per folder, started on first use with what was planned for it, kept until close()."""

    def __init__(self, level: IsolationLevel, limits: Limits) -> None:
        self.level, self.limits = level, limits
        self.sessions: dict[Path, Session] = {}
        self._planned: dict[Path, tuple[Plan | None, list[Path]]] = {}

    def plan(self, folder: Path, preload: Plan | None, probe_files: list[Path] | None = None) -> None:
        """What the folder's sandbox imports first and the grader's probe files it is sent as text, when it starts.

        A running sandbox that lacks one of these probe files is closed here: get() starts a new one.
        """
        folder = folder.resolve()
        files = [path.resolve() for path in probe_files or []]
        self._planned[folder] = (preload, files)
        running = self.sessions.get(folder)
        if running is not None and not set(files) <= set(running.probe_files):
            running.close()
            del self.sessions[folder]

    def get(self, folder: Path) -> Session:
        """The folder's session, started here when missing."""
        folder = folder.resolve()
        if folder not in self.sessions:
            preload, files = self._planned.get(folder, (None, []))
            self.sessions[folder] = Session(folder, level=self.level, limits=self.limits, preload=preload,
                                            probe_files=files)
            self.sessions[folder].start()
        return self.sessions[folder]

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()
        self.sessions = {}
