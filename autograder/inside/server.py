"""The fork server: runs inside the sandbox, imports torch once, forks a fresh child per probe.

The protocol on the process's stdin/stdout, every message and field, is declared in autograder/contract/wire.py:
it reads the probe files' sources, sends Ready, then answers each Request with one Response.

- Each request runs in a fresh child (forking.py), forked one request ahead; it never sees the
  protocol pipes (it closes them right after the fork), and the server makes itself non-dumpable
  so a child cannot reopen them through /proc.
- The server imports the first stage of the preload plan (contract/plan.py, inside/preload.py) before it says ready; a
  successor, forked from it, imports the next stage meanwhile and takes over the protocol at a
  request boundary once it is done. The old server then only waits for it (the sandbox ends with it).
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import select
import signal
import sys
from typing import Any

from autograder.contract import codec
from autograder.contract.plan import BASE, PLAN_VARIABLE, TRAINING
from autograder.inside import preload, probes, warmup
from autograder.inside.forking import ForkServer


def _preload(names: list[str]) -> dict[str, Any]:
    """Import the first stage of the preload plan, fix torch to one thread, and describe the result."""
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    preload.import_modules(names)
    warmup.warm_up()
    mps = getattr(torch.backends, "mps", None)
    return {"ready": True, "torch": str(torch.__version__), "pid": os.getpid(), "threads": torch.get_num_threads(),
            "cuda": bool(torch.cuda.is_available()), "mps": bool(mps is not None and mps.is_available())}


def _make_undumpable() -> None:
    """PR_SET_DUMPABLE=0: children (same uid) cannot ptrace us or open /proc/<us>/fd."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


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


def _watch(successor: int) -> None:
    """Wait for the successor that serves now to end. As the namespace's init (bwrap --as-pid-1) no child can stop
    or kill us, but the successor it can: a stopped successor is continued at once, and orphans are reaped."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WUNTRACED)
        except ChildProcessError:
            return
        if os.WIFSTOPPED(status):
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        elif pid == successor:
            return


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
                    _watch(successor.pid)
                    return
                server.forget(successor.fds, successor.pid)  # it died (a child killed it): go on alone
                successor = None
                continue
        request = codec.receive(requests)
        if request is None:
            server.close()
            if successor is not None:
                successor.stop()
            return
        response, done = server.serve(request)
        codec.send(responses, response)
        server.finish(done)


def _drop_writable_import_paths() -> None:
    """Take the sandbox's writable folder, our working folder, off sys.path: `python -m` puts it first there, and a
    child could leave a module in it for this server, its successor (which imports the later exercises' libraries
    while children run) or a later child to import in place of a library, before any snapshot of the instruments."""
    workdir = os.path.join(os.path.realpath(os.getcwd()), "")
    sys.path[:] = [entry for entry in sys.path
                   if entry and not os.path.join(os.path.realpath(entry), "").startswith(workdir)]


def main() -> None:
    """Preload the first stage, say ready, serve; the plan (see autograder/contract/plan.py) comes from the
    judge in PLAN_VARIABLE."""
    _drop_writable_import_paths()
    if os.getpid() == 1:  # init gets only the signals it handles: Python's SIGINT handler would let a child end us
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    protocol_fds = (os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    probes.provide_sources((codec.receive(protocol_fds[0]) or {}).get("probe_sources") or {})
    stages = json.loads(os.environ.get(PLAN_VARIABLE) or "null") or [[*BASE, *TRAINING]]
    ready = _preload(stages[0])
    gc.freeze()  # everything imported so far stays shared with the forked children (fewer copied pages)
    _make_undumpable()
    codec.send(protocol_fds[1], ready)
    serve(stages[1:], protocol_fds)


if __name__ == "__main__":
    sys.exit(main())
