"""Per-sandbox cgroups: memory + pids, created under the grader's own cgroup (v2 unified or v1)."""

from __future__ import annotations

import errno
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .limits import MIB, Limits

CONTROLLERS = ("memory", "pids")
TEARDOWN_SECONDS = 5.0


class CgroupError(RuntimeError):
    """A cgroup could not be created, emptied or removed."""


@dataclass(frozen=True)
class Layout:
    """Where new cgroups go: v2 has one directory, v1 one per controller."""

    version: int
    bases: dict[str, Path]  # v2: {"unified": dir}; v1: {"memory": dir, "pids": dir}


def find_layout() -> Layout | None:
    """Locate writable memory+pids hierarchies for the cgroup this process is in, if any."""
    own = _own_cgroups()
    mounts = _cgroup_mounts()
    for point, fstype, _ in mounts:
        base = point / own.get("", "/").lstrip("/")
        if fstype == "cgroup2" and set(CONTROLLERS) <= _read_words(base / "cgroup.controllers"):
            return Layout(2, {"unified": base})
    bases = {
        ctl: point / own[ctl].lstrip("/")
        for point, fstype, opts in mounts
        for ctl in CONTROLLERS
        if fstype == "cgroup" and ctl in opts and ctl in own
    }
    if set(bases) == set(CONTROLLERS) and all(os.access(b, os.W_OK) for b in bases.values()):
        return Layout(1, bases)
    return None


def _own_cgroups() -> dict[str, str]:
    """Map each controller of /proc/self/cgroup (v2: "") to this process's cgroup path."""
    own: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for ctl in controllers.split(",") if controllers else [""]:
            own[ctl] = path
    return own


def _cgroup_mounts() -> list[tuple[Path, str, set[str]]]:
    """Return (mount point, fstype, mount options) of every cgroup filesystem."""
    mounts = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _, point, fstype, options, *_ = line.split()
        if fstype in ("cgroup", "cgroup2"):
            mounts.append((Path(point), fstype, set(options.split(","))))
    return mounts


def _read_words(path: Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


class Cgroup:
    """One sandbox's cgroup(s); every process of the sandbox is inside."""

    def __init__(self, layout: Layout, dirs: dict[str, Path]) -> None:
        self._layout = layout
        self._dirs = dirs
        self._procs_files = tuple(str(d / "cgroup.procs") for d in dirs.values())

    @classmethod
    def create(cls, layout: Layout, limits: Limits) -> Cgroup:
        """Make fresh cgroup directories with the memory and pids limits; raise CgroupError on failure."""
        name = f"autograder-sandbox-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        cgroup = cls(layout, {key: base / name for key, base in layout.bases.items()})
        try:
            if layout.version == 2:
                _enable_v2_controllers(layout.bases["unified"])
            for directory in cgroup._dirs.values():
                directory.mkdir()
            cgroup._write_limits(limits)
        except OSError as exc:
            cgroup.remove()
            raise CgroupError(f"cannot set up cgroup {name}: {exc}") from exc
        return cgroup

    @property
    def dirs(self) -> tuple[Path, ...]:
        """The cgroup directories (one for v2, memory and pids for v1)."""
        return tuple(self._dirs.values())

    def _write_limits(self, limits: Limits) -> None:
        memory = str(limits.memory_mb * MIB)
        if self._layout.version == 2:
            unified = self._dirs["unified"]
            (unified / "memory.max").write_text(memory)
            (unified / "memory.swap.max").write_text("0")
            (unified / "pids.max").write_text(str(limits.max_processes))
            return
        (self._dirs["memory"] / "memory.limit_in_bytes").write_text(memory)
        memsw = self._dirs["memory"] / "memory.memsw.limit_in_bytes"
        if memsw.exists():
            memsw.write_text(memory)
        (self._dirs["pids"] / "pids.max").write_text(str(limits.max_processes))

    def enter(self) -> None:
        """Move the calling process in (used between fork and exec, so kept minimal)."""
        pid = str(os.getpid())
        for procs in self._procs_files:
            with open(procs, "w") as handle:
                handle.write(pid)

    def pids(self) -> set[int]:
        """Every process currently in the cgroup(s)."""
        found: set[int] = set()
        for procs in self._procs_files:
            try:
                found.update(int(pid) for pid in Path(procs).read_text().split())
            except FileNotFoundError:
                pass
        return found

    def oom_kills(self) -> int:
        """How often the kernel OOM killer fired inside (v1 memory.oom_control, v2 memory.events)."""
        if self._layout.version == 2:
            source = self._dirs["unified"] / "memory.events"
        else:
            source = self._dirs["memory"] / "memory.oom_control"
        try:
            lines = source.read_text().splitlines()
        except FileNotFoundError:
            return 0
        counts = [int(line.split()[1]) for line in lines if line.startswith("oom_kill ")]
        return counts[0] if counts else 0

    def kill(self) -> None:
        """SIGKILL every process inside until the cgroup is empty."""
        unified = self._dirs.get("unified")
        if unified is not None and (unified / "cgroup.kill").exists():  # v2, kernel >= 5.14
            (unified / "cgroup.kill").write_text("1")
        deadline = time.monotonic() + TEARDOWN_SECONDS
        while pids := self.pids():
            if time.monotonic() > deadline:
                raise CgroupError(f"processes {sorted(pids)} survived SIGKILL in {self.dirs}")
            for pid in pids:
                _kill_quietly(pid)
            time.sleep(0.01)

    def remove(self) -> None:
        """Remove the directories (retrying while exiting tasks drain); missing ones are fine."""
        deadline = time.monotonic() + TEARDOWN_SECONDS
        for directory in self._dirs.values():
            while True:
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise CgroupError(f"cannot remove {directory}: {exc}") from exc
                    time.sleep(0.01)


def _enable_v2_controllers(base: Path) -> None:
    """Delegate memory and pids to children of ``base`` (fails with EBUSY if base holds processes)."""
    enabled = _read_words(base / "cgroup.subtree_control")
    missing = [ctl for ctl in CONTROLLERS if ctl not in enabled]
    if missing:
        (base / "cgroup.subtree_control").write_text(" ".join(f"+{ctl}" for ctl in missing))


def _kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
