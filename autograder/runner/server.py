"""The fork server: runs inside the sandbox, imports torch once, forks a fresh child per probe.

Protocol (length-prefixed frames, see codec.py) on the process's stdin/stdout:
the server first sends ``{"ready": ...}``, then answers each request
``{"probe", "kwargs", "submission", "exercise", "module", "timeout"}`` with one response.

- Each child is forked one request ahead, warms itself up while it waits (warmup.py), and gets its
  request over a private pipe; it never sees the protocol pipes (it closes them right after the
  fork), and the server makes itself non-dumpable so a child cannot reopen them through /proc.
- The server imports the first stage of the preload plan (preload.py) before it says ready; a
  successor, forked from it, imports the next stage meanwhile and takes over the protocol at a
  request boundary once it is done. The old server then only waits for it (the sandbox ends with it).
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import random
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from autograder.runner import child, codec, preload, warmup

RECEIVED_MARKER = ".received"  # created in a child's work folder once it has read its request
_LOG_CAP = 4096
_RESULT_CAP = 64 * 1024 * 1024


def _preload(names: list[str]) -> dict[str, Any]:
    """Import the first stage of the preload plan, fix torch to one thread, and describe the result."""
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    preload.import_modules(names)
    from autograder import probes

    probes.load_all()
    warmup.warm_up()
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


def _child(request_fd: int, result_fd: int, workdir: str, inherited: list[int]) -> None:
    """Body of a forked child: set itself up, wait for its one request, run it, send the result; never returns."""
    try:
        os.setsid()
        for fd in inherited:  # the server's pipes: the parent's protocol and other children's results
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
        warmup.warm_up()
        with os.fdopen(request_fd, "rb") as requests:
            request = codec.read_frame(requests)
        if request is None:  # discarded before it was used
            return
        open(RECEIVED_MARKER, "x").close()
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


def _kill_strays(keep: set[int]) -> None:
    """In our own pid namespace, end every process but us, our ancestors and `keep` (this ends setsid
    escapees)."""
    if os.environ.get("AUTOGRADER_PIDNS") != "1":
        return
    spared = {*keep, os.getpid(), 1}
    pid = os.getpid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
            spared.add(pid)
        except (OSError, ValueError, IndexError):
            break
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in spared:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


@dataclass
class _Child:
    """A forked child: waiting for its request, running it, or done."""

    pid: int
    request_fd: int
    result_fd: int
    workdir: str


class ForkServer:
    """Forks one child per request, one request ahead: the next child is forked while the current one
    runs, and a finished child is torn down after its answer is sent (with torch loaded, fork and exit
    cost tens of milliseconds each; this keeps them off the path between a request and its answer)."""

    def __init__(self, private_fds: tuple[int, ...], keep: tuple[int, ...] = ()) -> None:
        """private_fds: our descriptors a child must not keep; keep: processes that are not strays."""
        self.private_fds = private_fds
        self.keep = keep
        self.unreaped: set[int] = set()
        self.spare = self._spawn()

    def _spawn(self, busy: _Child | None = None) -> _Child:
        """Fork a child that waits for its request; it closes every descriptor of ours it inherited."""
        workdir = tempfile.mkdtemp(prefix="check-")
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            inherited = [*self.private_fds, request_w, result_r, *((busy.result_fd,) if busy else ())]
            _child(request_r, result_w, workdir, inherited)
        os.close(request_r)
        os.close(result_w)
        return _Child(pid, request_w, result_r, workdir)

    def forget(self, fds: tuple[int, ...], pid: int) -> None:
        """Those descriptors are closed and that process is gone: children need not close or spare them."""
        self.private_fds = tuple(fd for fd in self.private_fds if fd not in fds)
        self.keep = tuple(kept for kept in self.keep if kept != pid)

    @staticmethod
    def _send(target: _Child, request: dict[str, Any]) -> bool:
        """Hand the request to the waiting child; False if it is gone."""
        try:
            view = memoryview(codec.frame(request))
            while view:
                view = view[os.write(target.request_fd, view):]
            return True
        except OSError:
            return False
        finally:
            os.close(target.request_fd)

    def _attempt(self, request: dict[str, Any], start: float) -> tuple[_Child, bytes | None, bool, bool]:
        """Give the request to the waiting child (forking the next one meanwhile) and wait for its result:
        (child, payload or None, timed out, whether the child ever read the request)."""
        current = self.spare
        sent = self._send(current, request)
        self.spare = self._spawn(busy=current)
        if not sent:
            return current, None, False, False
        try:
            pidfd: int | None = os.pidfd_open(current.pid)
        except (AttributeError, OSError):
            pidfd = None
        payload, timed_out = _read_result(current.result_fd, pidfd, start + float(request.get("timeout", 60)))
        if pidfd is not None:
            os.close(pidfd)
        return current, payload, timed_out, os.path.exists(os.path.join(current.workdir, RECEIVED_MARKER))

    def serve(self, request: dict[str, Any]) -> tuple[dict[str, Any], _Child]:
        """Run one request in the waiting child; return the response and that child (for `finish`).

        A child that died before reading its request (an earlier child's code killed it: a process being
        torn down still holds its pipe for a moment) ran nothing: the request goes to the next child.
        """
        start = time.monotonic()
        current, payload, timed_out, received = self._attempt(request, start)
        if payload is None and not timed_out and not received:
            self.finish(current)
            start = time.monotonic()
            current, payload, timed_out, received = self._attempt(request, start)
        duration = time.monotonic() - start
        timeout = float(request.get("timeout", 60))
        response: dict[str, Any]
        if timed_out:
            response = {"status": "timeout", "limit": timeout}
        elif payload is not None:
            try:
                response = codec.decode(payload)
            except codec.CodecError as exc:
                response = {"status": "no_result", "message": f"unreadable result: {exc}"}
        else:  # it ended without a result: how?
            status = self._reap(current.pid)
            if os.WIFSIGNALED(status):
                response = {"status": "signal", "signal": os.WTERMSIG(status)}
            else:
                response = {"status": "no_result", "exit_code": os.waitstatus_to_exitcode(status)}
        if response.get("status") in ("timeout", "signal", "no_result") and "phase" not in response:
            imported = os.path.exists(os.path.join(current.workdir, child.IMPORTED_MARKER))
            response["phase"] = "call" if imported else "import"
        response["duration"] = duration
        response["output"] = _output_excerpt(current.workdir)
        return response, current

    def _reap(self, pid: int) -> int:
        self.unreaped.discard(pid)
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return 0

    def finish(self, done: _Child) -> None:
        """End a used child, everything it started, and its folder (its exit completes in the background)."""
        try:
            os.killpg(done.pid, signal.SIGKILL)
        except OSError:
            pass
        _kill_strays(keep={self.spare.pid, *self.keep})
        try:
            os.kill(self.spare.pid, signal.SIGCONT)  # in case the finished child stopped it
        except OSError:
            pass
        self.unreaped.add(done.pid)
        for pid in list(self.unreaped):
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    self.unreaped.discard(pid)
            except ChildProcessError:
                self.unreaped.discard(pid)
        os.close(done.result_fd)
        shutil.rmtree(done.workdir, ignore_errors=True)

    def close(self) -> None:
        os.close(self.spare.request_fd)  # the waiting child reads end-of-stream and exits
        self.finish(self.spare)
        for pid in list(self.unreaped):
            self._reap(pid)


def _read_exact(fd: int, size: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < size:
        chunk = os.read(fd, size - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_request(fd: int) -> dict[str, Any] | None:
    """One framed request, read without read-ahead (a successor may read the next one); None at the end."""
    header = _read_exact(fd, 4)
    if header is None:
        return None
    (size,) = struct.unpack(">I", header)
    if size > codec.MAX_FRAME:
        raise codec.CodecError(f"request of {size} bytes is too large")
    payload = _read_exact(fd, size)
    return None if payload is None else codec.decode(payload)


def write_response(fd: int, response: dict[str, Any]) -> None:
    view = memoryview(codec.frame(response))
    while view:
        view = view[os.write(fd, view):]


class Successor:
    """A copy of the server, forked once its stage of the preload plan is loaded, that imports the next
    stage while the server answers requests; at the first request boundary after it is done, it takes
    over (and forks its own successor for the stages after that)."""

    def __init__(self, stages: list[list[str]], protocol_fds: tuple[int, int]) -> None:
        self.ready_fd, ready_w = os.pipe()
        go_r, self.go_fd = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.ready_fd)
            os.close(self.go_fd)
            _successor_main(stages, protocol_fds, ready_w, go_r)
        os.close(ready_w)
        os.close(go_r)

    @property
    def fds(self) -> tuple[int, int]:
        return self.ready_fd, self.go_fd

    def is_ready(self) -> bool:
        """Called when ready_fd is readable: True if it is ready, False if it died (it is then ended)."""
        if os.read(self.ready_fd, 1) == b"R":
            return True
        self.stop()
        return False

    def take_over(self) -> None:
        """Let it serve; call this once nothing of ours is left running (our clean-up kills strays)."""
        os.write(self.go_fd, b"G")

    def stop(self) -> None:
        """End it (it may be in the middle of an import)."""
        os.close(self.go_fd)
        os.close(self.ready_fd)
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _successor_main(stages: list[list[str]], protocol_fds: tuple[int, int], ready_fd: int, go_fd: int) -> None:
    """Body of a successor: import the next stage, wait for the word, then serve; never returns."""
    try:
        preload.import_modules(stages[0])
        warmup.warm_up()
        gc.freeze()
        os.write(ready_fd, b"R")
        if os.read(go_fd, 1) == b"G":
            os.close(ready_fd)
            os.close(go_fd)
            serve(stages[1:], protocol_fds)
    finally:
        os._exit(0)


def serve(later: list[list[str]], protocol_fds: tuple[int, int]) -> None:
    """Answer requests until the parent closes the protocol, or until a successor that has imported the
    `later` stages takes over."""
    successor = Successor(later, protocol_fds) if any(later) else None
    server = ForkServer((*protocol_fds, *successor.fds), (successor.pid,)) if successor else ForkServer(protocol_fds)
    requests, responses = protocol_fds
    while True:
        if successor is not None:
            readable, _, _ = select.select([requests, successor.ready_fd], [], [])
            if successor.ready_fd in readable:
                if successor.is_ready():
                    server.close()
                    successor.take_over()
                    os.close(requests)
                    os.close(responses)
                    os.waitpid(successor.pid, 0)
                    return
                server.forget(successor.fds, successor.pid)  # it died (a child killed it): go on alone
                successor = None
                continue
        request = read_request(requests)
        if request is None:
            server.close()
            if successor is not None:
                successor.stop()
            return
        response, done = server.serve(request)
        write_response(responses, response)
        server.finish(done)


def main() -> None:
    """Preload the first stage, say ready, serve; the plan (see preload.py) comes from the parent in
    AUTOGRADER_PRELOAD."""
    protocol_fds = (os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    stages = json.loads(os.environ.get("AUTOGRADER_PRELOAD") or "null") or [[*preload.BASE, *preload.TRAINING]]
    ready = _preload(stages[0])
    gc.freeze()  # everything imported so far stays shared with the forked children (fewer copied pages)
    _make_undumpable()
    write_response(protocol_fds[1], ready)
    serve(stages[1:], protocol_fds)


if __name__ == "__main__":
    sys.exit(main())
