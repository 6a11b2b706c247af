"""The parent's side of a fork server: start it in a sandbox, send probes, read verdict-free observations."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from autograder.contract import codec
from autograder.contract.plan import PLAN_VARIABLE, Plan
from autograder.contract.wire import DEFAULT_TIMEOUT, Died, Phase, Request, Response, Status
from autograder.judge.errors import GraderError
from autograder.sandbox import IsolationLevel, Limits, Sandbox

_READY_TIMEOUT = 180.0
_BACKSTOP = 30.0
_STDERR_CAP = 16 * 1024


def read_frame(fd: int, deadline: float) -> Any:
    """Read one framed message from a raw fd before `deadline` (time.monotonic); EOFError if the stream ends."""
    payload = codec.read_payload(fd, deadline)
    if payload is None:
        raise EOFError
    return codec.decode(payload)

# the grader's choice of GPUs and where its CUDA libraries are: passed through to the sandbox as they are set
GPU_VARIABLES = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH")


class Session:
    """One sandboxed fork server for one submission folder."""

    def __init__(self, submission: Path, *, level: IsolationLevel, limits: Limits,
                 preload: Plan | None = None, probe_files: list[Path] | None = None) -> None:
        self.submission = submission.resolve()
        self.probe_files = [path.resolve() for path in probe_files or []]  # sent as text: the sandbox never sees them
        self.level = level
        self.limits = limits
        self.preload = preload
        self.info: dict[str, Any] = {}
        self.restarts = 0
        self._sandbox: Sandbox | None = None
        self._workdir: str | None = None
        self._stderr = bytearray()
        self._broken: dict[str, dict[str, Any]] = {}

    def _env(self, workdir: str) -> dict[str, str]:
        package_root = str(Path(__file__).resolve().parents[2])
        chosen_gpus = {name: os.environ[name] for name in GPU_VARIABLES if name in os.environ}
        return {
            **chosen_gpus,
            "PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "PYTHONPATH": package_root,
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "PYTHONUNBUFFERED": "1",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg",
            "PYTORCH_NVML_BASED_CUDA_CHECK": "1", "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
            "AUTOGRADER_PIDNS": "1" if self.level.name == "bwrap" else "0", "LANG": "C.UTF-8",
            PLAN_VARIABLE: json.dumps(self.preload),
        }

    def start(self) -> None:
        """Start the server (returns at once; the torch import happens in the background)."""
        if self._sandbox is not None:
            return
        self._workdir = tempfile.mkdtemp(prefix="autograder-")
        package = Path(__file__).resolve().parents[1]
        self._sandbox = Sandbox.start(
            [sys.executable, "-m", "autograder.inside.server"],
            read_only=[package, self.submission], scratch=[Path(self._workdir)],
            env=self._env(self._workdir), limits=self.limits, level=self.level, cwd=Path(self._workdir))
        self._stderr = bytearray()
        threading.Thread(target=self._drain_stderr, args=(self._sandbox,), daemon=True).start()
        self.info = {}
        # The grader's probe files go as text: the server loads them from memory, and no file of the grader's (they
        # sit beside the solutions and hidden checks) is in view of the code it grades. Written from a thread (more
        # than a pipe holds); the server reads it all before it says it is ready, so no request can come between.
        sources = {str(path): path.read_text(encoding="utf-8") for path in self.probe_files}
        threading.Thread(target=self._send_sources, args=(self._sandbox, sources), daemon=True).start()

    @staticmethod
    def _send_sources(sandbox: Sandbox, sources: dict[str, str]) -> None:
        try:
            sandbox.stdin.write(codec.frame({"probe_sources": sources}))
            sandbox.stdin.flush()
        except (OSError, ValueError):
            pass  # the server is gone (ready() says why) or was closed meanwhile

    def _drain_stderr(self, sandbox: Sandbox) -> None:
        fd = sandbox.stderr.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            if len(self._stderr) < _STDERR_CAP:
                self._stderr += chunk[: _STDERR_CAP - len(self._stderr)]

    def ready(self) -> dict[str, Any]:
        """Wait for the server's ready message (torch imported) and return it."""
        self.start()
        if not self.info:
            assert self._sandbox is not None
            try:
                self.info = read_frame(self._sandbox.stdout.fileno(), time.monotonic() + _READY_TIMEOUT)
            except (EOFError, TimeoutError, codec.CodecError) as exc:
                detail = self._stderr.decode(errors="replace")[-2000:]
                self.close()
                raise GraderError(f"the grading sandbox did not start ({type(exc).__name__}): {detail}") from None
        return self.info

    def run(self, request: Request) -> Response:
        """Send one probe request and return the server's response (restarting a dead server).

        The response's "elapsed" is this process's own clock from sending the request to reading its answer: the
        time that counts (the server's "duration" is only shown). A server that dies, or does not answer within the
        request's time limit plus a backstop, while it runs the request gives a SERVER_DIED response (MEMORY where
        the OOM killer ended it) with "died" (a Died: KILLED, or STOPPED: no answer in time) and the request's "limit".
        """
        exercise = request.get("exercise", "")
        if exercise in self._broken:  # importing the module failed before: it will fail the same way
            return {**self._broken[exercise], "elapsed": 0.0}
        self.ready()
        sandbox = self._sandbox
        assert sandbox is not None
        request = {**request, "submission": str(self.submission)}
        timeout = float(request.get("timeout", DEFAULT_TIMEOUT))
        sent = time.monotonic()
        try:
            sandbox.stdin.write(codec.frame(request))
            sandbox.stdin.flush()
            response = read_frame(sandbox.stdout.fileno(), sent + timeout + _BACKSTOP)
        except (OSError, EOFError, TimeoutError, codec.CodecError) as exc:
            died = {"elapsed": time.monotonic() - sent, "limit": timeout,
                    "died": Died.STOPPED if isinstance(exc, TimeoutError) else Died.KILLED}
            oom = sandbox.oom_killed()
            self._restart()
            if oom:
                return {"status": Status.MEMORY, "limit_mb": self.limits.memory_mb, **died}
            return {"status": Status.SERVER_DIED, **died}
        if not isinstance(response, dict):
            response = {"status": Status.NO_RESULT,
                        "message": "the sandbox answered with something that is not a response"}
        response["elapsed"] = time.monotonic() - sent
        response.pop("died", None)  # only this process says so
        if response.get("phase") == Phase.IMPORT and response.get("status") != Status.OK:
            self._broken[exercise] = response
        return response

    def forget_import_failures(self) -> None:
        """The module may have been edited since an import failed: try importing it again."""
        self._broken.clear()

    def _restart(self) -> None:
        self.restarts += 1
        self.close()

    def close(self) -> None:
        """Stop the server and everything it started; remove its folder."""
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self.info = {}

    def __enter__(self) -> "Session":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
