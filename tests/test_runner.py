"""Unit tests of the runner's wire format and of how failed probes are worded for students."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from autograder.checks.mistakes import likely_cause
from autograder.checks.problems import problem_from_response
from autograder.contract import codec


def test_codec_round_trips_plain_data_and_arrays() -> None:
    value = {"a": [1, 2.5, None, True, "x"], "arr": np.arange(6, dtype=np.float32).reshape(2, 3)[:, ::2],
             "scalar": np.array(3, dtype=np.int64), "inf": float("inf"), "nan": float("nan")}
    back = codec.decode(codec.encode(value))
    assert back["a"] == [1, 2.5, None, True, "x"]
    assert back["arr"].dtype == np.float32 and back["arr"].tolist() == [[0.0, 2.0], [3.0, 5.0]]
    assert back["scalar"].shape == () and int(back["scalar"]) == 3
    assert back["inf"] == float("inf") and np.isnan(back["nan"])


@pytest.mark.parametrize("value", [object(), {1: "int key"}, np.array([object()], dtype=object), {1.5}])
def test_codec_refuses_what_it_cannot_send(value: object) -> None:
    with pytest.raises(codec.CodecError):
        codec.encode(value)


def test_codec_never_unpickles() -> None:
    forged = json.dumps({"__ndarray__": ["object", [1], base64.b64encode(b"cos\nsystem\n").decode()]}).encode()
    with pytest.raises(codec.CodecError):
        codec.decode(forged)
    with pytest.raises(codec.CodecError):
        codec.decode(b"\x80\x04garbage")


@pytest.mark.parametrize(("response", "words"), [
    ({"status": "timeout", "limit": 30}, "timed out after 30 s"),
    ({"status": "memory"}, "ran out of memory (limit 2048 MiB)"),
    ({"status": "signal", "signal": 9}, "memory limit"),
    ({"status": "signal", "signal": 11}, "crashed (SIGSEGV)"),
    ({"status": "no_result", "exit_code": 0}, "ended before returning a result"),
    ({"status": "server_died", "died": "killed", "limit": 30}, "your code stopped or killed it"),
    ({"status": "server_died", "died": "stopped", "limit": 30}, "stopped answering"),
    ({"status": "error", "kind": "exit", "message": "SystemExit(0)"}, "called exit"),
    ({"status": "error", "kind": "not_implemented", "message": "train: not implemented yet",
      "where": {"file": "iris.py", "line": 7, "function": "train", "code": "raise"}}, "not implemented yet: `train`"),
    ({"status": "error", "kind": "import_error", "exc_type": "SyntaxError", "message": "invalid syntax",
      "where": {"file": "iris.py", "line": 3, "function": None, "code": "def f(:"}}, "iris.py line 3"),
    ({"status": "error", "kind": "exception", "exc_type": "RuntimeError", "calling": "train",
      "message": "Expected all tensors to be on the same device, but found at least two devices",
      "where": {"file": "iris.py", "line": 9, "function": "train", "code": "model(x)"}}, "move each batch"),
    # torch's own NotImplementedError (a model moved off the meta stand-in) is no stub: the error and its cause
    ({"status": "error", "kind": "not_implemented", "exc_type": "NotImplementedError", "calling": "train",
      "message": "Cannot copy out of meta tensor; no data! Please use torch.nn.Module.to_empty() instead of "
                 "torch.nn.Module.to() when moving module from meta to a different device.",
      "where": {"file": "iris.py", "line": 40, "function": "__init__", "code": "self.model.to(self.device)"}},
     "your code moved the model to another device"),
])
def test_failed_probes_are_worded_for_students(response: dict, words: str) -> None:
    assert words in str(problem_from_response(response, memory_mb=2048))


def test_known_mistakes_have_causes_and_unknown_ones_do_not() -> None:
    assert likely_cause("something entirely new") is None
    assert "torch.no_grad" in likely_cause("a leaf Variable that requires grad is being used in an in-place operation.")
    assert "int64" in likely_cause("expected scalar type Long but found Float")


def test_frames_travel_whole_over_a_pipe_and_end_cleanly() -> None:
    import os

    read_fd, write_fd = os.pipe()
    codec.send(write_fd, {"a": np.arange(3)})
    codec.send(write_fd, [1.5])
    os.close(write_fd)
    assert codec.receive(read_fd)["a"].tolist() == [0, 1, 2]
    assert codec.receive(read_fd) == [1.5]
    assert codec.receive(read_fd) is None
    os.close(read_fd)


# --- what protects the grader's observations inside a grading child ---------------------------------------

_ATTEMPTS = '''
import _imp, ctypes, gc, importlib, importlib.machinery, inspect, json, os, signal, sys, traceback

attempts = {}


def attempt(name, action):
    try:
        action()
        attempts[name] = "allowed"
    except PermissionError:
        attempts[name] = "refused"


def frame_from_traceback():
    try:
        raise ValueError
    except ValueError as exc:
        return exc.__traceback__.tb_frame


def own():
    pass


attempt("gc.get_objects", gc.get_objects)
attempt("sys._getframe", lambda: sys._getframe(0))
attempt("tb_frame", frame_from_traceback)
attempt("inspect.stack", inspect.stack)
attempt("import_module", lambda: importlib.import_module("autograder.inside.observe.recorders"))
attempt("import", lambda: exec("import autograder.inside.observe.recorders"))
attempt("pytest", lambda: __import__("pytest"))
attempt("ctypes", lambda: ctypes.c_int.from_address(id(1)))
attempt("__code__", lambda: setattr(json.dumps, "__code__", own.__code__))
attempt("__defaults__", lambda: setattr(json.loads, "__defaults__", (1,)))
attempt("/proc/self/mem", lambda: open("/proc/self/mem", "rb"))
attempt("a link to it", lambda: (os.symlink("/proc/self/mem", "mem-link"), open("mem-link", "rb")))
attempt("written by a library", lambda: __import__("pathlib").Path("mem-link").write_bytes(b"x"))
attempt("compile as a library", lambda: compile("x = 1", json.__file__, "exec"))
attempt("settrace", lambda: sys.settrace(None))
attempt("own __code__", lambda: setattr(own, "__code__", (lambda: 1).__code__))
attempt("the finder's defaults", lambda: sys.meta_path[0].find_spec.__defaults__)
attempt("the finder's code", lambda: sys.meta_path[0].find_spec.__code__)
attempt("a signal handler", lambda: signal.signal(signal.SIGUSR1, lambda signum, frame: leaked.append(frame)))
attempt("a fresh _signal", lambda: _imp.create_builtin(importlib.machinery.ModuleSpec("_signal", None)))
attempt("_signal reloaded", lambda: importlib.reload(sys.modules["_signal"]))
attempt("_signal imported again", lambda: (sys.modules.pop("_signal"), importlib.import_module("_signal")))
attempt("CPython's test helpers", lambda: importlib.import_module("_testcapi"))


class Sneaky(str):
    """A module name whose methods would run inside the audit hook if it used them."""

    def __hash__(self):
        leaked.append(sys._getframe(1))
        return str.__hash__(self)

    def __eq__(self, other):
        leaked.append(sys._getframe(1))
        return str.__eq__(self, other)

    def startswith(self, *args):
        leaked.append(sys._getframe(1))
        return str.startswith(self, *args)

    def partition(self, *args):
        leaked.append(sys._getframe(1))
        return str.partition(self, *args)


class OwnPath:
    def __fspath__(self):
        return "/proc/self/mem"


def lstat_lies():
    real = os.lstat
    os.lstat = lambda path, *args, **kwargs: real("/")  # "no link here"
    try:
        os.symlink("/proc/self/mem", "mem-link-2")
        open("mem-link-2", "rb")
    finally:
        os.lstat = real


leaked = []
attempt("a str of its own", lambda: __import__(Sneaky("autograder.inside.guard")))
attempt("a str of its own, for import_module", lambda: importlib.import_module(Sneaky("autograder.inside.guard")))
attempt("a path of its own", lambda: open(OwnPath(), "rb"))
attempt("os.lstat replaced", lstat_lies)
'''

_LEGITIMATE = '''
import collections, dataclasses, enum, inspect, logging, traceback, typing, warnings

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.linear_model import LinearRegression
from torch.utils.data import DataLoader, TensorDataset

Point = collections.namedtuple("Point", "x y")


class Pair(typing.NamedTuple):
    a: int


@dataclasses.dataclass
class Config:
    lr: float = 0.1


class Mode(enum.Enum):
    TRAIN = 1


logging.getLogger("student").warning("a warning through logging")
warnings.warn("a warning")
try:
    raise ValueError("caught")
except ValueError:
    text = traceback.format_exc()
inspect.signature(Config)
fig, ax = plt.subplots()
ax.plot([1, 2], label="loss")
ax.legend()
LinearRegression().fit(np.arange(8.0).reshape(4, 2), np.arange(4.0))
model = torch.nn.Linear(2, 2)
torch.optim.Adam(model.parameters()).step()
list(DataLoader(TensorDataset(torch.ones(4, 2)), batch_size=2, shuffle=True))
torch.save(model.state_dict(), "model.pt")
torch.load("model.pt")
from pathlib import Path
Path("notes.txt").write_text("a path object")
torch.save(model.state_dict(), Path("model-2.pt"))
with open(Path("notes.txt")) as notes:
    notes.read()
'''

_RUN_GUARDED = '''
import json, sys
from pathlib import Path

import torch._dynamo  # the fork server has it imported before any child exists

from autograder.inside import guard

root = Path(sys.argv[1])
guarded = guard.install(root)
guard.hide_grader_modules()
sys.path.insert(0, str(root))
module = __import__(sys.argv[2])
print(json.dumps({"attempts": getattr(module, "attempts", {}), "refused": guarded.refused(),
                  "leaked": len(getattr(module, "leaked", ()))}))
'''


def _run_guarded(tmp_path, source: str) -> dict:
    import os
    import subprocess
    import sys

    (tmp_path / "submitted.py").write_text(source)
    (tmp_path / "run.py").write_text(_RUN_GUARDED)
    done = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path), "submitted"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_guard_refuses_submitted_code_the_means_to_reach_the_grader(tmp_path) -> None:
    seen = _run_guarded(tmp_path, _ATTEMPTS)
    assert seen["attempts"].pop("own __code__") == "allowed"  # its own functions are its business
    assert set(seen["attempts"].values()) == {"refused"}, seen["attempts"]
    assert len(seen["refused"]) >= len(seen["attempts"])
    assert seen["leaked"] == 0  # no method of a str subclass it passed ran inside the audit hook


@pytest.mark.slow
def test_guard_leaves_ordinary_library_use_alone(tmp_path) -> None:
    seen = _run_guarded(tmp_path, _LEGITIMATE)
    assert seen["refused"] == []


def test_recorder_hooks_are_sealed_and_notice_being_taken_out_of_torchs_registry() -> None:
    import torch
    from torch.nn.modules import module as hooks

    from autograder.inside.observe.recorders import ForwardRecorder
    from autograder.inside.observe.student import InstrumentsModified

    model = torch.nn.Linear(2, 1)
    with ForwardRecorder(model) as added:
        model(torch.ones(3, 2))
        for hook in list(hooks._global_forward_pre_hooks.values()):
            assert hook.__closure__ is None and hook.__globals__ == {}  # nothing to reach but its defaults
            hook(model, (torch.ones(5, 2),))  # calling the hook itself only adds a record
    assert [c["batch"] for c in added.as_list()] == [3, 5]

    with ForwardRecorder(model) as cleared:
        hooks._global_forward_pre_hooks.clear()
        model(torch.ones(3, 2))
    with pytest.raises(InstrumentsModified, match="taken out of torch's registry"):
        cleared.as_list()


def test_the_forward_recorder_observes_effects_not_flags_sampled_before_the_students_code() -> None:
    """Gradients turned on by a hook of the model's own (after torch's global pre-hooks ran), or a layer left in
    train mode during an eval-mode call, show in the record; hooks or a forward put on the grader's model fail."""
    import torch

    from autograder.inside.observe.recorders import ForwardRecorder
    from autograder.inside.observe.student import InstrumentsModified

    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Dropout(0.5), torch.nn.Linear(4, 1))
    model.eval()
    with ForwardRecorder(model) as honest, torch.no_grad():
        model(torch.ones(3, 2))
    assert honest.as_list()[0]["grad"] is False and honest.as_list()[0]["training"] is False

    with ForwardRecorder(model) as lied:
        model[1].train()  # the model says eval; its dropout layer trains
        with torch.no_grad():
            model(torch.ones(3, 2))
        model[1].eval()
        torch.set_grad_enabled(False)
        try:
            model(torch.ones(3, 2))  # autograd off as the call begins ...
        finally:
            torch.set_grad_enabled(True)
    assert [c["training"] for c in lied.as_list()] == [True, False]

    enable = torch.enable_grad()
    with ForwardRecorder(model) as lying, torch.no_grad():  # the model's own pre-hook runs after the grader's
        handle = model.register_forward_pre_hook(lambda module, args: enable.__enter__())
        model(torch.ones(3, 2))
        enable.__exit__(None, None, None)
        handle.remove()
    assert lying.as_list()[0]["grad"] is True  # the output says a graph was built

    with ForwardRecorder(model) as hooked, torch.no_grad():
        model.register_forward_pre_hook(lambda module, args: None)
        model(torch.ones(3, 2))
    with pytest.raises(InstrumentsModified, match="hooks added or removed"):
        hooked.as_list()
    model._forward_pre_hooks.clear()

    with ForwardRecorder(model) as replaced:
        model.forward = lambda x: torch.zeros(len(x), 1)
        model(torch.ones(3, 2))
    with pytest.raises(InstrumentsModified, match="forward replaced"):
        replaced.as_list()


def test_a_loss_recorder_hands_the_students_code_a_torch_loss_that_records_every_call() -> None:
    import torch

    from autograder.inside.observe.recorders import LossRecorder, Stop
    from autograder.inside.observe.student import InstrumentsModified

    losses = LossRecorder()
    assert type(losses.loss_fn) is torch.nn.MSELoss  # nothing of the grader's class or module to reach
    assert losses.loss_fn.forward.__globals__ == {} and losses.loss_fn.forward.__closure__ is None
    with torch.no_grad():
        losses.loss_fn(torch.zeros(4, 1), torch.ones(4, 1))
    losses.loss_fn(torch.zeros(2, 1, requires_grad=True), torch.ones(2, 1))
    assert [(c["batch"], c["grad"], c["value"]) for c in losses.calls] == [(4, False, 1.0), (2, True, 1.0)]
    assert losses.devices == ["cpu", "cpu"]

    first = LossRecorder(stop_after=1)
    with pytest.raises(Stop):
        first.loss_fn(torch.zeros(2, 1, device="meta"), torch.ones(2, 1))
    assert first.devices == ["meta", "cpu"] and first.calls == []

    replaced = LossRecorder()
    replaced.loss_fn.forward = lambda yhat, y: torch.nn.functional.mse_loss(yhat, y)  # a loss that records nothing
    replaced.loss_fn(torch.zeros(2, 1), torch.ones(2, 1))
    with pytest.raises(InstrumentsModified, match="forward replaced"):
        replaced.calls


def test_the_child_notices_torch_and_its_hook_registries_changed_during_a_probe() -> None:
    import torch
    from torch.nn.modules import module as hooks

    from autograder.inside.child import Instruments

    before = Instruments()
    assert before.changes() == []
    handle = torch.nn.modules.module.register_module_forward_pre_hook(lambda module, args: None)
    original = torch.is_grad_enabled
    torch.is_grad_enabled = lambda: False
    try:
        assert set(before.changes()) == {"torch.is_grad_enabled", "torch.nn.modules.module._global_forward_pre_hooks"}
    finally:
        torch.is_grad_enabled = original
        handle.remove()
    assert before.changes() == []
    registry = hooks._global_forward_pre_hooks
    hooks._global_forward_pre_hooks = {}  # rebinding the registry is a change too
    try:
        assert before.changes() == ["torch.nn.modules.module._global_forward_pre_hooks"]
    finally:
        hooks._global_forward_pre_hooks = registry
    assert before.changes() == []


# --- the reference's memo -----------------------------------------------------------------------------------

def test_the_reference_memo_tells_requests_apart_by_every_element_of_their_arrays(tmp_path) -> None:
    """Observations are memoized by the exact request: two arrays that print alike (numpy summarises long
    arrays as `[0. 1. 2. ... 1997. 1998. 1999.]`) are two requests."""
    from types import SimpleNamespace

    from autograder.judge.handles import ExerciseHandle
    from autograder.course.schema import Check, Exercise

    sent: list[dict] = []

    def run(request: dict) -> dict:
        sent.append(request)
        return {"status": "ok", "value": float(request["kwargs"]["x"].sum()), "duration": 0.0}

    exercise = Exercise(id="01_topic", title="t", module="topic.py", goals=["g"],
                        checks=[Check(id="c", title="c", points=1)])
    probes = tmp_path / "probes.py"
    probes.write_text("from autograder.inside.probes import probe\n\n\n@probe\ndef p(student, *, device, x) -> float:\n"
                      "    return float(x.sum())\n")
    handle = ExerciseHandle(SimpleNamespace(run=run), exercise, probes, "cpu",  # type: ignore[arg-type]
                            label="reference", memo={})
    first = np.arange(2000, dtype=np.float64)
    second = first.copy()
    second[1000] = -1.0
    assert str(first) == str(second)
    assert handle.probe("p", x=first) == first.sum()
    assert handle.probe("p", x=second) == second.sum()
    assert handle.probe("p", x=first.copy()) == first.sum()
    assert len(sent) == 2


# --- what a hang costs --------------------------------------------------------------------------------------

def test_an_exercise_budget_charges_hangs_and_remembers_what_timed_out() -> None:
    from autograder.judge.handles import BUDGET_FACTOR, ExerciseBudget

    budget = ExerciseBudget(limit=10)
    budget.charge({"status": "ok", "duration": 0.1, "elapsed": 2.0})  # the parent's clock counts, not the sandbox's
    assert budget.remaining() == 20 + BUDGET_FACTOR * 2 - 2
    budget.charge({"status": "timeout", "duration": 1.0, "elapsed": 10.0, "limit": 10, "calling": "train"})
    assert budget.timed_out == {"train": 10.0}
    budget.charge({"status": "timeout", "elapsed": 10.0, "limit": 10, "calling": "evaluate", "phase": "call"})
    assert budget.timed_out == {"train": 10.0, "evaluate": 10.0}
    assert budget.remaining() == 20 + BUDGET_FACTOR * 2 - 22
    budget.charge({"status": "timeout", "elapsed": 10.0, "limit": 10, "phase": "import"})  # answered again, free
    assert budget.remaining() == 20 + BUDGET_FACTOR * 2 - 22


def test_a_server_that_died_running_a_probe_costs_that_probe_its_whole_time_limit(tmp_path) -> None:
    """Killed at once or stopped until the parent gave up on it: a time-out, charged in full by the parent's clock,
    and once the budget is spent the exercise's later probes are not run, with a message that says why."""
    from types import SimpleNamespace

    from autograder.judge.handles import ExerciseBudget, ExerciseHandle
    from autograder.checks.problems import StudentProblem
    from autograder.course.schema import Check, Exercise

    budget = ExerciseBudget(limit=10)
    budget.charge({"status": "server_died", "died": "killed", "elapsed": 0.3, "limit": 10})
    assert (budget.spent, budget.deaths) == (10, 1)
    budget.charge({"status": "server_died", "died": "stopped", "elapsed": 40.0, "limit": 10})
    assert (budget.spent, budget.deaths) == (50, 2)
    death = {"status": "server_died", "died": "killed", "elapsed": 0.2, "limit": 5.0}
    answers = iter([{"status": "ok", "value": 1, "duration": 0.0, "elapsed": 0.1}, death, death])
    probes = tmp_path / "probes.py"
    probes.write_text("from autograder.inside.probes import probe\n\n\n@probe\ndef p(student, *, device) -> int:\n"
                      "    return 1\n")
    sent: list[dict] = []
    exercise = Exercise(id="01_topic", title="t", module="topic.py", goals=["g"], timeout=5,
                        checks=[Check(id="c", title="c", points=1)])
    handle = ExerciseHandle(SimpleNamespace(run=lambda r: sent.append(r) or next(answers),  # type: ignore[arg-type]
                                            limits=SimpleNamespace(memory_mb=2048)),
                            exercise, probes, "cpu", label="student", budget=ExerciseBudget(limit=5))
    assert handle.probe("p") == 1
    for _ in range(2):
        with pytest.raises(StudentProblem, match="your code stopped or killed it"):
            handle.probe("p")
    with pytest.raises(StudentProblem, match="budget .* is spent: an earlier check's code stopped or killed"):
        handle.probe("p")
    assert len(sent) == 3  # the fourth never reached the sandbox: 2 × 5 + 3 × 0.1 - 0.1 - 5 - 5 < 1 s was left


def test_a_function_that_timed_out_fails_at_once_also_when_the_students_code_calls_it() -> None:
    import types

    from autograder.inside.observe.student import AlreadyTimedOut
    from autograder.inside.child import _skip_timed_out

    module = types.ModuleType("iris")
    exec("def train(model):\n    while True:\n        pass\n\n\ndef fit(model):\n    return train(model)\n",
         module.__dict__)
    _skip_timed_out(module, {"train": 120.0})
    with pytest.raises(AlreadyTimedOut, match=r"skipped: `train` already timed out after 120 s"):
        module.fit(None)
