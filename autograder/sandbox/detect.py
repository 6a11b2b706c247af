"""Check once which isolation this machine offers (a trial run of bubblewrap, a trial cgroup) and describe it."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .bwrap import bwrap_command, caps_tmpfs_size
from .cgroups import CgroupError, Cgroup, find_layout
from .limits import Limits

ENV_VAR = "AUTOGRADER_ISOLATION"
LEVEL_NAMES = ("bwrap", "process")
TRIAL_TIMEOUT_SECONDS = 30


class SandboxUnavailable(RuntimeError):
    """The requested isolation level cannot be provided on this machine."""


@dataclass(frozen=True)
class IsolationLevel:
    """What a sandbox of this level protects against, in plain words for reports."""

    name: str
    description: str
    network_isolated: bool
    filesystem_isolated: bool
    cgroups: bool = False

    def describe(self, limits: Limits) -> str:
        """The description plus the concrete limits in force."""
        text = self.description
        if self.name == "bwrap":
            bwrap = find_bwrap()
            text += (f"; a private {limits.scratch_mb} MiB work folder" if bwrap and caps_tmpfs_size(bwrap)
                     else "; a private work folder (this bwrap cannot cap its size)")
        if self.cgroups:
            return f"{text}; cgroup memory {limits.memory_mb} MiB and {limits.max_processes} pids"
        return f"{text}; rlimits only (memory {limits.memory_mb} MiB per process)"


def detect_isolation(require: str | None = None) -> IsolationLevel:
    """Strongest level available, or exactly ``require`` ("bwrap"/"process"; default from $AUTOGRADER_ISOLATION)."""
    choice = require or os.environ.get(ENV_VAR) or None
    if choice is not None and choice not in LEVEL_NAMES:
        raise ValueError(f"unknown isolation level {choice!r}; expected one of {LEVEL_NAMES}")
    if choice != "process":
        problem = bwrap_problem()
        if problem is None:
            return _bwrap_level(cgroups_usable())
        if choice == "bwrap":
            raise SandboxUnavailable(
                f"bubblewrap isolation was required but cannot be used: {problem}. "
                "Install it (apt-get install -y bubblewrap) and allow user namespaces, "
                f"or set {ENV_VAR}=process for an UNISOLATED practice run."
            )
    return _process_level(cgroups_usable())


def record_isolation(require: str | None, *, opt_out: str) -> IsolationLevel:
    """The isolation level of a grade of record: exactly ``require``, else $AUTOGRADER_ISOLATION, when either is
    set (an explicit choice, "process" included); else bwrap, never the practice fallback. SandboxUnavailable
    says what to install, or how to choose the unisolated level (``opt_out``: the caller's option for it)."""
    choice = require or os.environ.get(ENV_VAR) or "bwrap"
    problem = bwrap_problem() if choice == "bwrap" else None
    if problem is not None:
        raise SandboxUnavailable(
            f"a grade of record needs the bubblewrap sandbox, which cannot be used here: {problem}. Install it "
            "(apt-get install -y bubblewrap) and allow unprivileged user namespaces, or "
            f"{opt_out} to grade in practice mode (UNISOLATED: submitted code runs as a plain process with your "
            "rights, and can read and write what you can)")
    return detect_isolation(choice)


def _bwrap_level(cgroups: bool) -> IsolationLevel:
    return IsolationLevel(
        name="bwrap",
        description="bubblewrap: own user/pid/net/ipc namespaces, no network, "
                    "read-only allowlisted filesystem, capabilities dropped",
        network_isolated=True, filesystem_isolated=True, cgroups=cgroups,
    )


def _process_level(cgroups: bool) -> IsolationLevel:
    return IsolationLevel(
        name="process",
        description="plain process: rlimits and timeouts only, NO filesystem or network isolation (practice mode)",
        network_isolated=False, filesystem_isolated=False, cgroups=cgroups,
    )


def find_bwrap() -> str | None:
    """Absolute path of the bwrap binary, if installed."""
    return shutil.which("bwrap")


@lru_cache(maxsize=1)
def bwrap_problem() -> str | None:
    """None if a full-strength bwrap sandbox actually runs `true`, else why not."""
    bwrap, true = find_bwrap(), shutil.which("true")
    if bwrap is None or true is None:
        return "the bwrap executable is not installed"
    cmd = bwrap_command(bwrap, [true], mounts=(), scratch_mb=Limits().scratch_mb, env={}, cwd=Path("/"))
    try:
        done = subprocess.run(cmd, env={}, capture_output=True, text=True, timeout=TRIAL_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"running bwrap failed: {exc}"
    if done.returncode != 0:
        return f"bwrap exited with {done.returncode}: {done.stderr.strip()[:500]}"
    return None


@lru_cache(maxsize=1)
def cgroups_usable() -> bool:
    """True if a memory+pids cgroup can be created (and removed) under our own cgroup."""
    layout = find_layout()
    if layout is None:
        return False
    try:
        Cgroup.create(layout, Limits()).remove()
    except CgroupError:
        return False
    return True
