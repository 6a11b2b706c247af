"""Sandbox: start one isolated child process and tear its whole tree down."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from .bwrap import bwrap_command, interpreter_roots, mounts
from .cgroups import Cgroup, find_layout
from .detect import IsolationLevel, SandboxUnavailable, find_bwrap
from .limits import Limits, RlimitTable, apply_rlimits, rlimit_table

WAIT_AFTER_KILL_SECONDS = 10.0


class Sandbox:
    """One started, isolated child process (stdin/stdout/stderr are binary, unbuffered pipes).

    Note: bwrap's --die-with-parent is tied to the *thread* that started it, so start
    sandboxes from a thread that outlives them (e.g. the main thread).
    """

    def __init__(self, popen: subprocess.Popen[bytes], level: IsolationLevel, cgroup: Cgroup | None) -> None:
        self._popen = popen
        self._cgroup = cgroup
        self._oom_killed = False
        self._killed = False
        self._closed = False
        self.level = level
        self.pid = popen.pid

    @classmethod
    def start(cls, argv: list[str], *, read_only: Sequence[Path], scratch: Sequence[Path],
              env: Mapping[str, str], limits: Limits, level: IsolationLevel, cwd: Path) -> Sandbox:
        """Start ``argv`` (argv[0]: absolute path of the python to run) with exactly ``env`` under ``level``.

        read_only: host folders the sandbox sees. scratch: folders it may write to; under bwrap each is a private
        tmpfs of limits.scratch_mb at that path (the host folder stays empty), without bwrap the folder itself."""
        if not argv or not os.path.isabs(argv[0]):
            raise ValueError(f"argv[0] must be an absolute interpreter path, got {argv[:1]}")
        cgroup = _new_cgroup(limits) if level.cgroups else None
        try:
            cmd, popen_env, popen_cwd = _command(argv, read_only, scratch, env, level, cwd, limits)
            popen = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
                env=popen_env, cwd=popen_cwd, close_fds=True, start_new_session=True,
                preexec_fn=_child_setup(cgroup, rlimit_table(limits, with_nproc=os.geteuid() != 0)),
            )
        except BaseException:
            if cgroup is not None:
                cgroup.remove()
            raise
        return cls(popen, level, cgroup)

    @property
    def stdin(self) -> IO[bytes]:
        assert self._popen.stdin is not None
        return self._popen.stdin

    @property
    def stdout(self) -> IO[bytes]:
        assert self._popen.stdout is not None
        return self._popen.stdout

    @property
    def stderr(self) -> IO[bytes]:
        assert self._popen.stderr is not None
        return self._popen.stderr

    @property
    def returncode(self) -> int | None:
        """Exit status once known (under bwrap a signal shows as 128+N), else None."""
        return self._popen.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the direct child to exit; None on timeout."""
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def oom_killed(self) -> bool:
        """True if the cgroup's OOM killer fired; False when unknown (no cgroup)."""
        if self._cgroup is not None and not self._closed:
            self._oom_killed = self._oom_killed or self._cgroup.oom_kills() > 0
        return self._oom_killed

    def kill(self) -> None:
        """SIGKILL everything inside (process group, pid namespace, cgroup) and reap the child. Idempotent."""
        if self._killed:
            return
        try:
            os.killpg(self._popen.pid, signal.SIGKILL)  # bwrap's death tears down its pid namespace
        except ProcessLookupError:
            pass
        if self._cgroup is not None:
            self._cgroup.kill()  # stragglers, e.g. a setsid() grandchild at the "process" level
        self._popen.wait(WAIT_AFTER_KILL_SECONDS)
        self._killed = True

    def close(self) -> None:
        """kill(), close the pipes and remove the cgroup. Idempotent."""
        if self._closed:
            return
        self.kill()
        for pipe in (self._popen.stdin, self._popen.stdout, self._popen.stderr):
            if pipe is not None:
                pipe.close()
        if self._cgroup is not None:
            self.oom_killed()
            self._cgroup.remove()
        self._closed = True

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _new_cgroup(limits: Limits) -> Cgroup:
    layout = find_layout()
    if layout is None:
        raise SandboxUnavailable("this isolation level promises cgroups, but none are writable here")
    return Cgroup.create(layout, limits)


def _command(argv: Sequence[str], read_only: Sequence[Path], scratch: Sequence[Path], env: Mapping[str, str],
             level: IsolationLevel, cwd: Path, limits: Limits) -> tuple[list[str], dict[str, str], Path]:
    """(command, environment for Popen, cwd for Popen) for ``level``."""
    if level.name == "process":
        return list(argv), dict(env), cwd
    if level.name != "bwrap":
        raise ValueError(f"unknown isolation level {level.name!r}")
    bwrap = find_bwrap()
    if bwrap is None:
        raise SandboxUnavailable("bwrap is not installed")
    shown = mounts([*interpreter_roots(argv[0]), *read_only], scratch)
    # bwrap itself starts with an EMPTY environment: its pid-1 helper's /proc/1/environ is visible inside.
    return bwrap_command(bwrap, argv, mounts=shown, scratch_mb=limits.scratch_mb, env=env, cwd=cwd), {}, Path("/")


def _child_setup(cgroup: Cgroup | None, table: RlimitTable) -> Callable[[], None]:
    """preexec_fn: join the cgroup before exec (so every descendant is counted), then set rlimits."""
    def setup() -> None:
        if cgroup is not None:
            cgroup.enter()
        apply_rlimits(table)
    return setup
