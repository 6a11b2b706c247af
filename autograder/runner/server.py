"""The fork server: runs inside the sandbox, imports torch once, forks a fresh child per probe.

Protocol (length-prefixed frames, see codec.py) on the process's stdin/stdout:
the server first sends ``{"ready": ...}``, then answers each request
``{"probe", "kwargs", "submission", "exercise", "module", "timeout"}`` with one response.
The child never sees the protocol pipes: it closes them right after the fork, and the
server makes itself non-dumpable so a child cannot reopen them through /proc.
"""

from __future__ import annotations

import ctypes
import gc
import os
import random
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
from typing import Any

_LOG_CAP = 4096
_RESULT_CAP = 64 * 1024 * 1024


def _preload() -> dict[str, Any]:
    """Import what every child needs, once, and fix torch to one thread."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import sklearn.datasets  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    # The first optimizer step imports torch._dynamo (seconds): pay that once here, not in every child
    weight = torch.zeros(1, requires_grad=True)
    weight.sum().backward()
    torch.optim.Adam([weight], lr=0.1).step()
    from autograder import probes

    probes.load_all()
    mps = getattr(torch.backends, "mps", None)
    return {"ready": True, "torch": torch.__version__, "pid": os.getpid(), "threads": torch.get_num_threads(),
            "cuda": bool(torch.cuda.is_available()), "mps": bool(mps is not None and mps.is_available())}


def _make_undumpable() -> None:
    """PR_SET_DUMPABLE=0: children (same uid) cannot ptrace us or open /proc/<us>/fd."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _child(request: dict[str, Any], result_fd: int, workdir: str, protocol_fds: tuple[int, int]) -> None:
    """Body of the forked child; never returns."""
    from autograder.runner import child, codec

    try:
        os.setsid()
        for fd in protocol_fds:
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        log = os.open(os.path.join(workdir, "output.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass
        os.chdir(workdir)
        os.environ["HOME"] = os.environ["TMPDIR"] = workdir
        tempfile.tempdir = workdir
        _seed_everything(int(request.get("seed", 0)))
        result = child.run(request)
        try:
            payload = codec.encode(result)
        except codec.CodecError as exc:
            payload = codec.encode({"status": "error", "kind": "bad_return", "exc_type": None, "where": None,
                                    "calling": None, "message": f"the result could not be sent back: {exc}"})
        data = struct.pack(">I", len(payload)) + payload
        view = memoryview(data)
        while view:
            view = view[os.write(result_fd, view):]
    finally:
        os._exit(0)


def _read_result(fd: int, pidfd: int | None, deadline: float) -> tuple[bytes | None, bool]:
    """Read one framed result from the child: (payload or None, timed_out).

    Once the child has exited, wait only briefly for the rest: a grandchild may hold the pipe open.
    """
    buf = bytearray()
    watch = [fd] if pidfd is None else [fd, pidfd]
    grace_end: float | None = None
    while True:
        now = time.monotonic()
        end = deadline if grace_end is None else min(deadline, grace_end)
        if now >= end:
            return None, grace_end is None or now >= deadline
        ready, _, _ = select.select(watch, [], [], end - now)
        if fd in ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None, False
            buf += chunk
            if len(buf) >= 4:
                (need,) = struct.unpack(">I", bytes(buf[:4]))
                if need > _RESULT_CAP:
                    return None, False
                if len(buf) >= need + 4:
                    return bytes(buf[4:need + 4]), False
        if pidfd is not None and pidfd in ready:
            watch = [fd]
            grace_end = time.monotonic() + 0.5


def _output_excerpt(workdir: str) -> str:
    path = os.path.join(workdir, "output.log")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(_LOG_CAP)
            if size > 2 * _LOG_CAP:
                f.seek(size - _LOG_CAP)
                head += f"\n… ({size - 2 * _LOG_CAP} bytes not shown) …\n".encode() + f.read(_LOG_CAP)
            else:
                head += f.read(_LOG_CAP)
        return head.decode(errors="replace")
    except OSError:
        return ""


def _kill_strays() -> None:
    """In our own pid namespace, end every process but us and our ancestors (setsid escapees)."""
    if os.environ.get("AUTOGRADER_PIDNS") != "1":
        return
    keep = {os.getpid(), 1}
    pid = os.getpid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
            keep.add(pid)
        except (OSError, ValueError, IndexError):
            break
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in keep:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


def serve(request: dict[str, Any], protocol_fds: tuple[int, int]) -> dict[str, Any]:
    """Fork a child for one request and turn what happens to it into a response."""
    from autograder.runner import codec

    workdir = tempfile.mkdtemp(prefix="check-")
    read_fd, write_fd = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(request, write_fd, workdir, protocol_fds)
    os.close(write_fd)
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    timeout = float(request.get("timeout", 60))
    payload, timed_out = _read_result(read_fd, pidfd, start + timeout)
    os.close(read_fd)
    if pidfd is not None:
        os.close(pidfd)
    if timed_out:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    _, status = os.waitpid(pid, 0)
    duration = time.monotonic() - start
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    _kill_strays()
    response: dict[str, Any]
    if timed_out:
        response = {"status": "timeout", "limit": timeout}
    elif payload is not None:
        try:
            response = codec.decode(payload)
        except codec.CodecError as exc:
            response = {"status": "no_result", "message": f"unreadable result: {exc}"}
    elif os.WIFSIGNALED(status):
        response = {"status": "signal", "signal": os.WTERMSIG(status)}
    else:
        response = {"status": "no_result", "exit_code": os.waitstatus_to_exitcode(status)}
    if response.get("status") in ("timeout", "signal", "no_result") and "phase" not in response:
        from autograder.runner.child import IMPORTED_MARKER

        imported = os.path.exists(os.path.join(workdir, IMPORTED_MARKER))
        response["phase"] = "call" if imported else "import"
    response["duration"] = duration
    response["output"] = _output_excerpt(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    return response


def main() -> None:
    """Serve requests until the parent closes our stdin."""
    from autograder.runner import codec

    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    ready = _preload()
    gc.freeze()  # everything imported so far stays shared with the forked children (fewer copied pages)
    _make_undumpable()
    requests = os.fdopen(proto_in, "rb")
    responses = os.fdopen(proto_out, "wb")
    codec.write_frame(responses, ready)
    while True:
        request = codec.read_frame(requests)
        if request is None:
            return
        codec.write_frame(responses, serve(request, (proto_in, proto_out)))


if __name__ == "__main__":
    sys.exit(main())
