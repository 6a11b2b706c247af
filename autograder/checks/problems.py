"""Turning a failed probe response into one message in the student's terms."""

from __future__ import annotations

import re
import signal
from typing import Any

from autograder.checks.devices import STAND_IN, device_words, torch_words
from autograder.checks.mistakes import likely_cause
from autograder.contract.wire import Died, Failure, Response, Status, StrValue


class Unobserved(StrValue):
    """A StudentProblem's kind when the response's status, not a wire Failure, says what went wrong."""

    TIMEOUT = "timeout"  # past its time limit (or its exercise's budget), or the server stopped or died
    CRASHED = "crashed"  # ended by a signal, or an answer the judge does not know
    NO_RESULT = "no_result"  # the child exited without a result


ProblemKind = Failure | Unobserved


class StudentProblem(Exception):
    """The student's code could not be observed: not implemented, crashed, timed out, ..."""

    def __init__(self, kind: ProblemKind, message: str, *, function: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.function = function  # for kind "not_implemented": the function that is still a stub


def _where(where: dict[str, Any] | None) -> str:
    if not where:
        return ""
    text = f"{where['file']} line {where['line']}"
    if where.get("function"):
        text += f", in {where['function']}"
    if where.get("code"):
        text += f": `{where['code']}`"
    return text


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _is_stub(message: str, where: dict[str, Any] | None) -> bool:
    """Whether a NotImplementedError is a stub's own: its message, or a `raise NotImplementedError` line of the student."""
    code = (where or {}).get("code") or ""
    return "not implemented yet" in message or code.startswith("raise NotImplementedError")


def problem_from_response(response: Response, *, memory_mb: int) -> StudentProblem:
    """The StudentProblem for a non-ok response from the fork server."""
    status = response.get("status")
    if status == Status.TIMEOUT:
        subject = f"`{response['calling']}` " if response.get("calling") else ""
        return StudentProblem(Unobserved.TIMEOUT,
                              f"{subject}timed out after {response['limit']:.0f} s: look for an endless "
                              "loop, or for far more epochs or work than the function was asked to do")
    if status == Status.MEMORY:
        return StudentProblem(Failure.MEMORY, f"ran out of memory (limit {memory_mb} MiB)")
    if status == Status.SIGNAL:
        name = _signal_name(response["signal"])
        if name == "SIGKILL":
            return StudentProblem(Failure.MEMORY, f"was killed (SIGKILL), most likely for using more than the "
                                                  f"{memory_mb} MiB memory limit")
        if name == "SIGXCPU":
            return StudentProblem(Unobserved.TIMEOUT, "used up its CPU time limit")
        return StudentProblem(Unobserved.CRASHED, f"the process running your code crashed ({name})")
    if status == Status.NO_RESULT:
        code = response.get("exit_code")
        return StudentProblem(Unobserved.NO_RESULT,
                              f"the process running your code ended before returning a result "
                              f"(exit code {code}): do not call os._exit() or exit() in your module")
    if status == Status.SERVER_DIED:
        ended = ("stopped answering (nothing came back in its time limit of "
                 f"{float(response.get('limit') or 0):.0f} s and more)" if response.get("died") == Died.STOPPED else "ended")
        return StudentProblem(Unobserved.TIMEOUT,
                              f"the grader's process that runs your code {ended}: your code stopped or "
                              "killed it (a signal such as os.kill(os.getppid(), ...)), or crashed the "
                              "sandbox. Never send signals to processes your code did not start; this "
                              "counts as a time-out for this exercise")
    if status != Status.ERROR:
        return StudentProblem(Unobserved.CRASHED, f"unexpected response from the sandbox: {status!r}")
    raw = response.get("kind", Failure.EXCEPTION)
    kind = next((failure for failure in Failure if failure == raw), Failure.EXCEPTION)
    where = _where(response.get("where"))
    message = response.get("message", "")
    calling = response.get("calling")
    if kind == Failure.NOT_IMPLEMENTED and not _is_stub(message, response.get("where")):
        kind = Failure.EXCEPTION  # a NotImplementedError from a library (torch's "Cannot copy out of meta tensor"), not a stub
    if kind == Failure.NOT_IMPLEMENTED:
        loc = response.get("where") or {}
        stub = re.match(r"([\w.]+): not implemented yet", message)
        func = stub.group(1) if stub else loc.get("function") or calling or "this function"
        return StudentProblem(kind, f"not implemented yet: `{func}` in {loc.get('file')} (line {loc.get('line')}) "
                                    "still raises NotImplementedError. Replace that line with your code.",
                              function=func)
    if kind in (Failure.MISSING, Failure.MISSING_FILE, Failure.SIGNATURE, Failure.BAD_RETURN, Failure.SKIPPED,
                Failure.TAMPERED):
        return StudentProblem(kind, message)
    if kind == Failure.IMPORT_ERROR:
        return StudentProblem(kind, f"your module could not be imported: {response.get('exc_type')}: {message}"
                                    + (f" ({where})" if where else ""))
    if kind == Failure.MEMORY:
        return StudentProblem(kind, f"ran out of memory (limit {memory_mb} MiB): {message}")
    if kind == Failure.EXIT:
        return StudentProblem(kind, f"your code called exit ({message}): a function must return its result, "
                                    "not end the program")
    subject = f"`{calling}`" if calling else "your code"
    reworded = torch_words(message)
    text = f"{subject} raised {response.get('exc_type')}: {reworded}"
    if where:
        text += f"\n  at {where}"
    if reworded != message:
        text += f"\n  (on {device_words(STAND_IN)})"
    cause = likely_cause(message)
    if cause:
        text += f"\nlikely cause: {cause}"
    return StudentProblem(kind, text)
