"""Build the bubblewrap command line: an allowlisted, read-only view of the host."""

from __future__ import annotations

import os
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

Bind = tuple[str, Path]  # (bwrap flag, host path mounted at the same path inside)
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
    """Device binds for the host's NVIDIA GPUs (none on a machine without them), plus a read-only /sys,
    where the CUDA driver looks up the devices."""
    nodes = sorted({path for pattern in GPU_DEVICE_GLOBS for path in dev.glob(pattern)})
    if not nodes:
        return []
    return [arg for node in nodes for arg in ("--dev-bind", str(node), str(node))] + ["--ro-bind", "/sys", "/sys"]


@lru_cache(maxsize=8)
def interpreter_roots(python: str) -> tuple[Path, ...]:
    """sys.prefix and sys.base_prefix of ``python``, as given and with symlinks resolved."""
    probe = "import sys; print(sys.prefix); print(sys.base_prefix)"
    out = subprocess.run([python, "-I", "-c", probe], env={}, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    roots = [Path(line) for line in out.splitlines() if line]
    return tuple(dict.fromkeys(roots + [root.resolve() for root in roots]))


def binds(read_only: Iterable[Path], writable: Iterable[Path]) -> list[Bind]:
    """Bind list ordered parents first, so a deeper bind (e.g. writable inside read-only) wins."""
    wanted = [("--ro-bind", Path(p)) for p in read_only] + [("--bind", Path(p)) for p in writable]
    return sorted(wanted, key=lambda bind: len(bind[1].parts))


def bwrap_command(bwrap: str, argv: Sequence[str], *, binds: Sequence[Bind],
                  env: Mapping[str, str], cwd: Path) -> list[str]:
    """Full bwrap argv: namespaces, no caps, allowlisted filesystem, exactly ``env``, then ``argv``."""
    cmd = [bwrap, *NAMESPACE_FLAGS, *system_mounts(), "--proc", "/proc", "--dev", "/dev", *gpu_mounts(),
           "--tmpfs", "/tmp"]
    for flag, path in binds:
        cmd += [flag, str(path), str(path)]
    # bwrap's root and /tmp are tmpfs the sandbox may write to, and so are the folders it creates in them for the
    # binds (/work/main for /work/main/autograder, say, which is on PYTHONPATH). Read-only: only the binds marked
    # writable take writes, and no module can be left where the grader's processes import from.
    cmd += ["--remount-ro", "/tmp", "--remount-ro", "/", "--chdir", str(cwd), "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return [*cmd, "--", *argv]
