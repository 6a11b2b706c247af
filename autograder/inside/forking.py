"""One child per request, forked one request ahead (used by the fork server, server.py).

A child is forked before its request arrives, closes every descriptor of the server it inherited,
warms itself up while it waits (warmup.py), gets its one request over a private pipe, runs the
probe and writes the result to another. The server reads the result with a deadline, answers, and
only then tears the child down with everything it started (fork and exit each cost tens of
milliseconds with torch loaded: this keeps them off the path between a request and its answer).
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import random
import re
import select
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from autograder.contract import codec
from autograder.contract.wire import DEFAULT_TIMEOUT, Failure, Phase, Request, Response, Status
from autograder.inside import child, warmup

RECEIVED_MARKER = ".received"  # created in a child's work folder once it has read its request
STACK_FILE = ".stack"  # where a child writes its Python stack when a timeout is about to end it
_STACK_SIGNAL = signal.SIGUSR2
_STACK_WAIT = 0.5
_FRAME_LINE = re.compile(r'^\s*File "(?P<file>.+)", line \d+ in (?P<function>\S+)$')
_LOG_CAP = 4096


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _child(request_fd: int, result_fd: int, workdir: str, inherited: list[int], pristine: child.Instruments) -> None:
    """Body of a forked child: set itself up, wait for its one request, run it, send the result; never returns."""
    try:
        os.setsid()
        for fd in inherited:  # the server's pipes: the parent's protocol and other children's results
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass
        _take_workdir(workdir)  # a first time, for the warm-up's output (the child before may still be writing)
        os.environ["HOME"] = os.environ["TMPDIR"] = workdir
        tempfile.tempdir = workdir
        pristine.changes()  # touches the pages the check after the probe compares (shared with the server)
        warmup.warm_up(stop=lambda: bool(select.select([request_fd], [], [], 0)[0]))
        request = codec.receive(request_fd)
        os.close(request_fd)
        if request is None:  # discarded before it was used
            return
        _take_workdir(workdir)  # again: the child that ran while this one waited could write into it
        # The result is signed with this request's key, which lives only here, as a MAC object, for the length of
        # the call: the submission can write to the result pipe (this process holds it), but not a frame the server
        # takes (see ForkServer.serve).
        mac = codec.signer(bytes.fromhex(request.pop("key")))
        open(RECEIVED_MARKER, "x").close()
        _seed_everything(int(request.get("seed", 0)))
        result = child.run(request, pristine)
        try:
            codec.send_signed(result_fd, result, mac)
        except codec.CodecError as exc:
            codec.send_signed(result_fd, {"status": Status.ERROR, "kind": Failure.BAD_RETURN, "exc_type": None,
                                          "where": None, "calling": None,
                                          "message": f"the result could not be sent back: {exc}"}, mac)
    finally:
        os._exit(0)


def _take_workdir(workdir: str) -> None:
    """Make `workdir` this child's own, empty, and send stdout, stderr and the stack dump to fresh files in it.

    A child is forked, with its folder, while the one before it runs; in a warm sandbox that one may run another
    student's code, which can write there (same user): a marker the server reads as "this child took its request",
    lines in its output log, a file a probe will look for. Once its request has come the child before is gone (the
    server ends every process of it first), so a folder made again now holds nothing of anyone else's; the server
    reads the child's markers and log by this path.
    """
    for _ in range(100):  # at the fork, the child before may still be writing into it: until it is empty
        if os.path.islink(workdir) or not os.path.isdir(workdir):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(workdir)
        shutil.rmtree(workdir, ignore_errors=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(workdir, 0o700)
            break
    os.chdir(workdir)
    log = os.open("output.log", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    faulthandler.register(_STACK_SIGNAL, file=open(STACK_FILE, "x"), all_threads=False)  # noqa: SIM115


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
            if len(buf) >= codec.HEADER_SIZE:
                try:
                    need = codec.payload_size(bytes(buf[:codec.HEADER_SIZE]))
                except codec.CodecError:
                    return None, False
                if len(buf) >= codec.HEADER_SIZE + need:
                    return bytes(buf[codec.HEADER_SIZE:codec.HEADER_SIZE + need]), False
        if pidfd is not None and pidfd in ready:
            watch = [fd]
            grace_end = time.monotonic() + 0.5


def _timed_out_functions(target: "_Child", submission: str) -> list[str]:
    """Ask a child that ran out of time for its stack (faulthandler writes it from its signal handler, even
    in the middle of a loop or a system call): the named functions of the submission on it, innermost first
    (a comprehension, lambda or generator expression is named by the function it is in)."""
    path = os.path.join(target.workdir, STACK_FILE)
    try:
        os.kill(target.pid, _STACK_SIGNAL)
    except OSError:
        return []
    end = time.monotonic() + _STACK_WAIT
    try:
        while time.monotonic() < end and not os.path.getsize(path):
            time.sleep(0.01)
        time.sleep(0.02)  # the handler writes the whole stack at once: let it finish
        with open(path) as f:
            text = f.read()
    except OSError:
        return []
    root = os.path.join(os.path.realpath(submission), "")
    found = []
    for line in text.splitlines():  # most recent call first
        frame = _FRAME_LINE.match(line)
        if frame and frame["function"].isidentifier() and os.path.realpath(frame["file"]).startswith(root) \
                and frame["function"] not in found:
            found.append(frame["function"])
    return found


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


def _kill_strays(keep: set[int]) -> list[int]:
    """In our own pid namespace, end every process but us, our ancestors and `keep` (this ends setsid
    escapees); the pids sent SIGKILL."""
    if os.environ.get("AUTOGRADER_PIDNS") != "1":
        return []
    spared = {*keep, os.getpid(), 1}
    pid = os.getpid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
            spared.add(pid)
        except (OSError, ValueError, IndexError):
            break
    killed = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in spared:
            try:
                os.kill(int(entry), signal.SIGKILL)
                killed.append(int(entry))
            except OSError:
                pass
    return killed


def _pidfds(pids: list[int]) -> list[int]:
    """A pidfd for each process still there (readable once it has ended)."""
    fds = []
    for pid in pids:
        try:
            fds.append(os.pidfd_open(pid))
        except (AttributeError, OSError):
            pass
    return fds


def _reap_orphans(spared: set[int], wait: float = 0.5) -> None:
    """As the pid namespace's init (bwrap --as-pid-1), every orphan of the sandbox is ours to reap, as bwrap's own init
    would: without it their zombies fill the pids cgroup and the next fork fails. Waits up to `wait` seconds for the
    orphans `_kill_strays` just killed; never touches `spared` (the waiting child, the successor), whose exit status
    is read where it is needed."""
    if os.getpid() != 1:
        return
    end = time.monotonic() + wait
    while True:
        dying = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in spared or entry == "1":
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    state, parent = f.read().rsplit(")", 1)[1].split()[:2]
            except (OSError, ValueError):
                continue
            if parent != "1":
                continue
            if state != "Z":
                dying = True
                continue
            try:
                os.waitpid(int(entry), os.WNOHANG)
            except ChildProcessError:
                pass
        if not dying or time.monotonic() >= end:
            return
        time.sleep(0.005)


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
        self.ending: list[int] = []  # pidfds of the processes `finish` killed, until they have ended
        self.pristine = child.Instruments()  # before the first fork: every child inherits it
        self.spare = self._spawn()

    def _spawn(self, busy: _Child | None = None) -> _Child:
        """Fork a child that waits for its request; it closes every descriptor of ours it inherited."""
        workdir = tempfile.mkdtemp(prefix="check-")
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            inherited = [*self.private_fds, request_w, result_r, *((busy.result_fd,) if busy else ())]
            _child(request_r, result_w, workdir, inherited, self.pristine)
        os.close(request_r)
        os.close(result_w)
        return _Child(pid, request_w, result_r, workdir)

    def _await_ended(self, bound: float = 10.0) -> None:
        """Wait (at most `bound` seconds) until the processes `finish` killed have ended: SIGKILL takes effect a
        moment later, and a request goes out only once no code of the child before it can still run (it could write
        into the waiting child's folder after that child took it afresh). By then they are mostly long gone."""
        end = time.monotonic() + bound
        while self.ending and time.monotonic() < end:
            ended, _, _ = select.select(self.ending, [], [], end - time.monotonic())
            for fd in ended:
                os.close(fd)
            self.ending = [fd for fd in self.ending if fd not in ended]
        for fd in self.ending:
            os.close(fd)
        self.ending = []

    def forget(self, fds: tuple[int, ...], pid: int) -> None:
        """Those descriptors are closed and that process is gone: children need not close or spare them."""
        self.private_fds = tuple(fd for fd in self.private_fds if fd not in fds)
        self.keep = tuple(kept for kept in self.keep if kept != pid)

    @staticmethod
    def _send(target: _Child, request: dict[str, Any]) -> bool:
        """Hand the request to the waiting child; False if it is gone."""
        try:
            codec.send(target.request_fd, request)
            return True
        except OSError:
            return False
        finally:
            os.close(target.request_fd)

    def _attempt(self, request: dict[str, Any], deadline: float) -> tuple[_Child, bytes | None, bool, bool]:
        """Give the request to the waiting child (forking the next one meanwhile) and wait for its result:
        (child, payload or None, timed out, whether the child ever read the request)."""
        current = self.spare
        self._await_ended()
        sent = self._send(current, request)
        self.spare = self._spawn(busy=current)
        if not sent:
            return current, None, False, False
        try:
            pidfd: int | None = os.pidfd_open(current.pid)
        except (AttributeError, OSError):
            pidfd = None
        payload, timed_out = _read_result(current.result_fd, pidfd, deadline)
        if pidfd is not None:
            os.close(pidfd)
        return current, payload, timed_out, os.path.exists(os.path.join(current.workdir, RECEIVED_MARKER))

    def serve(self, request: Request) -> tuple[Response, _Child]:
        """Run one request in the waiting child; return the response and that child (for `finish`).

        A child that died before reading its request (an earlier child's code killed it: a process being
        torn down still holds its pipe for a moment) ran nothing: the request goes to the next child.
        """
        timeout = float(request.get("timeout", DEFAULT_TIMEOUT))
        key = codec.new_key()
        start = time.monotonic()
        current, payload, timed_out, received = self._attempt({**request, "key": key.hex()}, start + timeout)
        if payload is None and not timed_out and not received:
            self.finish(current)
            key = codec.new_key()
            start = time.monotonic()
            current, payload, timed_out, received = self._attempt({**request, "key": key.hex()}, start + timeout)
        duration = time.monotonic() - start
        response: Response
        if timed_out:
            callers = _timed_out_functions(current, request.get("submission", "/nonexistent"))
            response = {"status": Status.TIMEOUT, "limit": timeout, "calling": callers[0] if callers else None,
                        "callers": callers}
        elif payload is not None:
            try:
                response = codec.open_signed(payload, key)
            except codec.ForgedFrame:
                response = {"status": Status.ERROR, "kind": Failure.TAMPERED, "exc_type": None, "where": None,
                            "calling": None,
                            "message": "the grader's instruments were modified or reached for (a result the grader "
                                       "did not write was sent on its result pipe)"}
            except codec.CodecError as exc:
                response = {"status": Status.NO_RESULT, "message": f"unreadable result: {exc}"}
        else:  # it ended without a result: how?
            status = self._reap(current.pid)
            if os.WIFSIGNALED(status):
                response = {"status": Status.SIGNAL, "signal": os.WTERMSIG(status)}
            else:
                response = {"status": Status.NO_RESULT, "exit_code": os.waitstatus_to_exitcode(status)}
        if response.get("status") in (Status.TIMEOUT, Status.SIGNAL, Status.NO_RESULT) and "phase" not in response:
            imported = os.path.exists(os.path.join(current.workdir, child.IMPORTED_MARKER))
            response["phase"] = Phase.CALL if imported else Phase.IMPORT
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
        killed = _kill_strays(keep={self.spare.pid, *self.keep})
        self.ending += _pidfds([done.pid, *killed])
        for pid in (self.spare.pid, *self.keep):  # in case the finished child stopped it (or the successor)
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        self.unreaped.add(done.pid)
        for pid in list(self.unreaped):
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    self.unreaped.discard(pid)
            except ChildProcessError:
                self.unreaped.discard(pid)
        _reap_orphans({self.spare.pid, *self.keep})
        os.close(done.result_fd)
        shutil.rmtree(done.workdir, ignore_errors=True)

    def close(self) -> None:
        os.close(self.spare.request_fd)  # the waiting child reads end-of-stream and exits
        self.finish(self.spare)
        for pid in list(self.unreaped):
            self._reap(pid)
