"""Resource limits for a sandbox and their translation into rlimits."""

from __future__ import annotations

import resource
from dataclasses import dataclass

MIB = 1024 * 1024
CPU_GRACE_SECONDS = 5  # hard RLIMIT_CPU lies this far above the soft one (SIGXCPU first, then SIGKILL)

RlimitTable = tuple[tuple[int, tuple[int, int]], ...]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandbox (the whole process tree where cgroups exist)."""

    memory_mb: int = 2048
    max_processes: int = 128
    file_size_mb: int = 64
    open_files: int = 512
    cpu_seconds: int | None = None
    scratch_mb: int = 512  # under bwrap, each writable folder (the work folder, /dev/shm) is a tmpfs of this size


def rlimit_table(limits: Limits, *, with_nproc: bool) -> RlimitTable:
    """Return (resource, (soft, hard)) pairs, clamped to the current hard limits.

    RLIMIT_AS is deliberately absent: CUDA builds reserve huge virtual ranges.
    RLIMIT_NPROC is only meaningful for a real non-root uid (root ignores it).
    """
    wanted: list[tuple[int, int, int]] = [
        (resource.RLIMIT_DATA, limits.memory_mb * MIB, limits.memory_mb * MIB),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * MIB, limits.file_size_mb * MIB),
        (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    if limits.cpu_seconds is not None:
        wanted.append((resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + CPU_GRACE_SECONDS))
    if with_nproc:
        wanted.append((resource.RLIMIT_NPROC, limits.max_processes, limits.max_processes))
    return tuple((res, _clamp(res, soft, hard)) for res, soft, hard in wanted)


def _clamp(res: int, soft: int, hard: int) -> tuple[int, int]:
    """Never ask for more than the current hard limit (an unprivileged raise would fail)."""
    current_hard = resource.getrlimit(res)[1]
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
    return min(soft, hard), hard


def apply_rlimits(table: RlimitTable) -> None:
    """Set every rlimit in ``table`` on the calling process (safe between fork and exec)."""
    for res, pair in table:
        resource.setrlimit(res, pair)
