"""Build the bubblewrap command line: an allowlisted, read-only view of the host."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

SANDBOX_ID = "65534"  # nobody/nogroup inside the user namespace
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_ENTRIES = (
    "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
    "localtime", "passwd", "group", "nsswitch.conf", "hosts",
)
NAMESPACE_FLAGS = (
    "--unshare-all", "--unshare-user", "--uid", SANDBOX_ID, "--gid", SANDBOX_ID,
    "--die-with-parent", "--new-session", "--cap-drop", "ALL",
)
# Run the sandboxed command as its pid namespace's init (`--as-pid-1`, bubblewrap >= 0.8; --unshare-all gives the
# --unshare-pid it needs) instead of under bwrap's own init. The kernel drops every signal sent to a namespace's init
# from inside the namespace unless init handles it, SIGKILL and SIGSTOP always: the fork server cannot be stopped or
# killed by the children it forks. As init it reaps the orphans it is left with and handles no signal (the fork
# server does both when it finds itself pid 1: inside/forking.py, inside/server.py). Where bwrap is older, the
# server runs under bwrap's init, and a child that stops it costs a time limit (charged by the parent's clock).

Mount = tuple[str, Path]  # ("--ro-bind", a host path shown at the same path) or ("--tmpfs", a private scratch folder)
# NVIDIA's device nodes: without them torch inside the sandbox sees no GPU
GPU_DEVICE_GLOBS = ("nvidia[0-9]*", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-caps/*")


def system_mounts() -> list[str]:
    """Read-only /usr and friends (symlinks kept as symlinks) plus the few /etc entries Python needs."""
    args: list[str] = []
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    for entry in ETC_ENTRIES:
        path = Path("/etc", entry)
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def gpu_mounts(dev: Path = Path("/dev")) -> list[str]:
    """Device binds for the host's NVIDIA GPUs under ``dev`` (none on a machine without them), each shown at its
    place in the sandbox's /dev (nvidia-caps/ nodes, which MIG needs, included), plus a read-only /sys, where the
    CUDA driver looks up the devices. The driver's libraries come with /usr and ld.so.cache (system_mounts)."""
    nodes = sorted({path for pattern in GPU_DEVICE_GLOBS for path in dev.glob(pattern)})
    if not nodes:
        return []
    binds = [arg for node in nodes for arg in ("--dev-bind", str(node), str(Path("/dev", node.relative_to(dev))))]
    return binds + ["--ro-bind", "/sys", "/sys"]


@lru_cache(maxsize=8)
def interpreter_roots(python: str) -> tuple[Path, ...]:
    """sys.prefix and sys.base_prefix of ``python``, as given and with symlinks resolved."""
    script = "import sys; print(sys.prefix); print(sys.base_prefix)"
    out = subprocess.run([python, "-I", "-c", script], env={}, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    roots = [Path(line) for line in out.splitlines() if line]
    return tuple(dict.fromkeys(roots + [root.resolve() for root in roots]))


def mounts(read_only: Iterable[Path], scratch: Iterable[Path]) -> list[Mount]:
    """Read-only binds of host folders, and private scratch folders (a tmpfs each: what is written there never
    reaches the host's disk), ordered parents first so that a deeper mount wins."""
    wanted = [("--ro-bind", Path(p)) for p in read_only] + [("--tmpfs", Path(p)) for p in scratch]
    return sorted(wanted, key=lambda mount: len(mount[1].parts))


@lru_cache(maxsize=4)
def _help(bwrap: str) -> str:
    try:
        return subprocess.run([bwrap, "--help"], env={}, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def runs_as_pid_1(bwrap: str) -> bool:
    """Whether this bwrap can run the command as the pid namespace's init (--as-pid-1, bubblewrap 0.8)."""
    return "--as-pid-1" in _help(bwrap)


def caps_tmpfs_size(bwrap: str) -> bool:
    """Whether this bwrap can cap a tmpfs's size: --size came with bubblewrap 0.7, and a setuid bwrap refuses it.
    Without it a scratch tmpfs is bounded only by the memory cgroup, where there is one."""
    try:
        if os.stat(bwrap).st_mode & stat.S_ISUID:
            return False
    except OSError:
        return False
    return "--size" in _help(bwrap)


def bwrap_command(bwrap: str, argv: Sequence[str], *, mounts: Sequence[Mount], scratch_mb: int,
                  env: Mapping[str, str], cwd: Path, as_pid_1: bool | None = None) -> list[str]:
    """Full bwrap argv: namespaces, no caps, allowlisted filesystem, exactly ``env``, then ``argv``
    (as the pid namespace's init where ``as_pid_1``; by default wherever this bwrap can)."""
    size = ["--size", str(scratch_mb * 1024 * 1024)] if caps_tmpfs_size(bwrap) else []
    init = ["--as-pid-1"] if (runs_as_pid_1(bwrap) if as_pid_1 is None else as_pid_1) else []
    cmd = [bwrap, *NAMESPACE_FLAGS, *init, *system_mounts(), "--proc", "/proc", "--dev", "/dev", *gpu_mounts(),
           "--tmpfs", "/tmp"]
    for flag, path in mounts:
        cmd += [*size, "--tmpfs", str(path)] if flag == "--tmpfs" else [flag, str(path), str(path)]
    cmd += [*size, "--tmpfs", "/dev/shm"]
    # bwrap's root, /tmp and /dev are tmpfs the sandbox could write to without limit (host memory), and so are the
    # folders bwrap makes in them to hold the mounts (the folder holding the grader's package, say, which is on
    # PYTHONPATH). Read-only: only the scratch folders take writes, each capped, and no module can be left
    # where the grader's processes import from.
    cmd += ["--remount-ro", "/dev", "--remount-ro", "/tmp", "--remount-ro", "/", "--chdir", str(cwd), "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return [*cmd, "--", *argv]
