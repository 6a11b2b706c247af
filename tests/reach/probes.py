"""The reachability test's probe (tests/test_reachability.py): hands a student function the objects a real probe hands
over, with every recorder running, and reports which of the grader's mutable or secret objects that code reached."""

from __future__ import annotations

import json
import sys
import types

import torch
from torch.utils.data import DataLoader, TensorDataset
from typing_extensions import TypedDict

from autograder.inside.observe.recorders import ForwardRecorder, GradAccumulationDetector, LossRecorder, StepRecorder
from autograder.inside.probes import probe

_GRADER_MODULES = {name: module for name, module in sys.modules.items()
                   if name.partition(".")[0] == "autograder" or name.startswith("autograder_probes_")}


class Reach(TypedDict):
    """Nothing: the findings go to the output (the result of a child that was refused something is replaced)."""


def _graders(value: object) -> bool:
    """Whether a value is the grader's and can be written: a mutable container, a frame, or an object of a class of
    the grader's (a recorder, its records)."""
    return isinstance(value, (list, dict, set, bytearray, types.FrameType)) or \
        (type(value).__module__ or "").startswith("autograder")


def _internals(obj: object, depth: int = 3) -> list[object]:
    """The mutable state an instrument keeps (its attributes, and theirs), but not the objects it observes."""
    found: list[object] = []
    if depth == 0 or isinstance(obj, (torch.Tensor, torch.nn.Module, torch.optim.Optimizer, types.ModuleType)):
        return found
    values = list(vars(obj).values()) if hasattr(obj, "__dict__") and not isinstance(obj, type) else []
    if isinstance(obj, (list, dict, tuple)):
        values = list(obj.values()) if isinstance(obj, dict) else list(obj)
    for value in values:
        if _graders(value):
            found.append(value)
            found += _internals(value, depth - 1)
    return found


def _path(parents: dict, key: int) -> str:
    labels = []
    for _ in range(40):
        parent, label = parents[key]
        labels.append(label)
        if parent is None:
            break
        key = parent
    return "".join(reversed(labels))


@probe
def reach(student, *, device: str, kit: str) -> Reach:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    optimizer = torch.optim.Adam(model.parameters())
    losses = LossRecorder()
    loss_fn = losses.loss_fn
    x, y = torch.randn(16, 4), torch.randn(16, 3)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    handed = {"model": model, "optimizer": optimizer, "loss_fn": loss_fn, "loader": loader, "x": x, "y": y}
    with ForwardRecorder(model) as forwards, StepRecorder(model) as steps, GradAccumulationDetector(model) as grads:
        loss_fn(model(x), y).backward()
        optimizer.step()
        secret: dict[int, str] = {}
        for name, module in _GRADER_MODULES.items():
            secret[id(vars(module))] = f"the module dict of {name}"
            for attr, value in vars(module).items():
                if isinstance(value, (dict, list, set)) and not attr.startswith("__"):
                    secret[id(value)] = f"{name}.{attr} (a mutable global of the grader)"
        for recorder in (forwards, steps, grads, losses):
            for value in _internals(recorder):
                secret.setdefault(id(value), f"the state of the {type(recorder).__name__} ({type(value).__name__})")
        frame = sys._getframe()
        while frame is not None:
            secret[id(frame)] = f"the grader's frame {frame.f_code.co_name}"
            for local, value in frame.f_locals.items():
                if _graders(value) and value is not handed:
                    secret.setdefault(id(value), f"local `{local}` of the grader's {frame.f_code.co_name}")
            frame = frame.f_back
        walked = student.call("reach_all", handed)
    findings = []
    for key, what in secret.items():
        if key in walked["parents"] and id(walked["seen"].get(key)) == key:
            findings.append({"what": what, "path": _path(walked["parents"], key)})
    for key, value in walked["seen"].items():
        if type(value) is types.CellType:
            owner = walked["seen"].get(walked["parents"][walked["parents"][key][0]][0])
            module = getattr(owner, "__module__", "") or ""
            if module.startswith("autograder"):
                findings.append({"what": f"a closure cell of the grader's {getattr(owner, '__qualname__', '?')}",
                                 "path": _path(walked["parents"], key)})
    for key, label, text in walked["strings"]:
        text = text if isinstance(text, str) else text.decode(errors="replace")
        if kit in text or "@probe" in text:
            findings.append({"what": "a path of the kit" if kit in text else "the source of a probe file",
                             "path": _path(walked["parents"], key) + label, "text": text[:120]})
    kinds: dict[str, dict] = {}
    for found in findings:  # the shortest path to each kind of finding (the output is capped at 4 KiB)
        kind = found["what"]
        if kind not in kinds or len(found["path"]) < len(kinds[kind]["path"]):
            kinds[kind] = {**found, "path": found["path"][:160]}
    print("REACH " + json.dumps({"objects": len(walked["seen"]), "refused": len(walked["refused"]),
                                 "count": len(findings), "findings": list(kinds.values())[:14]}))
    return {}
