"""The wire between the judge and the fork server in the sandbox: every message, every field, every value.

This file is the one description of the protocol, as pytest's ``hookspec.py`` is of its plugin hooks: each
message is a ``TypedDict`` whose fields are documented where they are declared, and each field that takes one of
a few values takes a member of an enum below. The enums are ``str``-valued, so the wire carries the plain
strings (``"ok"``, ``"timeout"`` ...); a decoded response holds plain ``str`` values, which compare equal to the
members. The inside encodes only exact built-in types (contract/codec.py): a member it sends goes out as its
``str`` value.

Conversation, over the fork server's stdin (requests) and stdout (responses), one frame each
(contract/codec.py: a 4-byte big-endian length, then JSON with base64 numpy arrays, at most MAX_FRAME bytes):

1. judge → server: :class:`Sources` (the probe files, as text), before anything else;
2. server → judge: :class:`Ready` once the first stage of the preload plan (contract/plan.py) is imported;
3. then, for each probe, judge → server: :class:`Request`; server → judge: :class:`Response`.

Inside the server, the request goes on to a forked child with a one-time ``key`` added, and the child's
result comes back on a pipe of its own as a *signed* frame (a MAC of the body, then the body: codec.send_signed);
the server refuses a frame that is not signed with that key as tampering (:attr:`Failure.TAMPERED`).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from typing_extensions import NotRequired, TypedDict

MAX_FRAME = 64 * 1024 * 1024  # bytes in one frame's payload, either way (a larger one is refused unread)
DEFAULT_TIMEOUT = 60.0  # seconds a probe may run when neither the request nor course.yml says otherwise


class StrValue(str, Enum):
    """A wire value: a str, and shown as one (``f"{Status.OK}"`` is ``ok``, in every Python)."""

    def __str__(self) -> str:
        return str.__str__(self)


class Status(StrValue):
    """How a probe request ended (:attr:`Response.status`)."""

    OK = "ok"  # the probe returned: `value` holds its result
    ERROR = "error"  # the student's code raised, or could not be called: `kind` says which Failure
    TIMEOUT = "timeout"  # the child ran past `limit` (set by the server, which asks it for its stack first)
    SIGNAL = "signal"  # the child was ended by `signal`
    NO_RESULT = "no_result"  # the child exited (`exit_code`) or sent something unreadable, without a result
    MEMORY = "memory"  # the kernel's OOM killer ended the whole server (set by the judge's session alone)
    SERVER_DIED = "server_died"  # the server died or stopped answering (set by the judge's session alone)
    GRADER_ERROR = "grader_error"  # the grader's own probe is missing or returned what it does not declare


class Failure(StrValue):
    """What went wrong in a :attr:`Status.ERROR` response (:attr:`Response.kind`)."""

    EXCEPTION = "exception"  # the student's code raised
    NOT_IMPLEMENTED = "not_implemented"  # ... NotImplementedError (a stub, when the judge sees a stub's line)
    MEMORY = "memory"  # ... MemoryError, or torch's allocator failed
    EXIT = "exit"  # ... SystemExit
    IMPORT_ERROR = "import_error"  # importing the student's module failed
    MISSING = "missing"  # the module lacks a name the probe looks up
    MISSING_FILE = "missing_file"  # the submission lacks the exercise's module
    SIGNATURE = "signature"  # a function does not take the arguments the exercise specifies
    SKIPPED = "skipped"  # a function that timed out earlier in the exercise was called again: not run
    TAMPERED = "tampered"  # the grader's instruments were modified or reached for (the exercise scores 0)
    BAD_RETURN = "bad_return"  # the probe's result could not be encoded for the wire


class Phase(StrValue):
    """Where in the child a failure happened (:attr:`Response.phase`)."""

    IMPORT = "import"  # importing the student's module: every later probe of the exercise fails the same way
    CALL = "call"  # running the probe


class Died(StrValue):
    """How the server ended while it ran a request (:attr:`Response.died`, set by the judge's session alone)."""

    KILLED = "killed"  # its pipe closed: it died (the student's code killed it, or the OOM killer did)
    STOPPED = "stopped"  # no answer within the request's limit plus a backstop (the code stopped it)


class Sources(TypedDict):
    """The first frame the judge sends: the probe files' texts, by absolute path (the sandbox never sees the
    files, which sit beside the solutions and hidden checks)."""

    probe_sources: dict[str, str]


class Ready(TypedDict):
    """The server's first frame: it has imported the first stage of its plan."""

    ready: bool
    torch: str  # torch.__version__
    pid: int
    threads: int  # torch's intra-op threads (always 1)
    cuda: bool
    mps: bool


class Request(TypedDict):
    """One probe to run: the judge's handle builds it (judge/handles.py), the child runs it (inside/child.py)."""

    probe: str  # the probe's function name in the probe file
    probes: str  # the probe file's absolute path (loaded from the text sent in Sources)
    kwargs: dict[str, Any]  # the probe's keyword arguments, `device` always among them
    exercise: str  # the exercise's folder, NN_topic
    module: str  # the student's module file in it (the exercise's `module` in course.yml)
    timeout: float  # seconds the child may run (the server's limit; the judge waits a backstop longer)
    seed: int  # every generator (random, numpy, torch) is seeded with it before the probe runs
    timed_out: NotRequired[dict[str, float]]  # functions that timed out earlier in the exercise: name -> limit
    submission: NotRequired[str]  # the submission folder, as the sandbox sees it (added by the session)
    key: NotRequired[str]  # hex; the child's one-time MAC key (added by the server, for the child alone)


class Where(TypedDict):
    """The innermost frame of the student's code in a failure."""

    file: str
    line: int | None
    function: str | None
    code: str


class Response(TypedDict):
    """The answer to one request. `status` says which other fields it carries."""

    status: str  # a Status
    value: NotRequired[Any]  # OK: the probe's result, held to its declared TypedDict by the judge
    kind: NotRequired[str]  # ERROR: a Failure
    exc_type: NotRequired[str | None]  # ERROR: the exception's class name
    message: NotRequired[str]  # ERROR, NO_RESULT, GRADER_ERROR: what happened
    where: NotRequired[Where | None]  # ERROR: where in the student's code
    calling: NotRequired[str | None]  # ERROR, TIMEOUT: the student's function being run
    callers: NotRequired[list[str]]  # TIMEOUT: the student's functions on the stack, innermost first
    limit: NotRequired[float]  # TIMEOUT, SERVER_DIED, MEMORY: the time limit that applied
    limit_mb: NotRequired[int]  # MEMORY: the memory limit
    signal: NotRequired[int]  # SIGNAL: its number
    exit_code: NotRequired[int]  # NO_RESULT: how the child exited
    phase: NotRequired[str]  # a Phase, on a failure
    duration: NotRequired[float]  # the server's clock around the request (shown only)
    output: NotRequired[str]  # the last lines the student's code printed
    elapsed: NotRequired[float]  # the judge's own clock from request to response: the time that counts
    died: NotRequired[str]  # SERVER_DIED, MEMORY: a Died (the judge's session drops it from a server's response)
