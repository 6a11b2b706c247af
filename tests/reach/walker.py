"""Submitted code that walks every object it can name (the reachability test's student: tests/test_reachability.py).

It follows only edges that plain Python code can follow: attributes, instance and class dicts, function globals,
closure cells, defaults, bound methods, wrapped functions, properties, partials, weak references, containers and
frames. An edge the grader's guard refuses (PermissionError) is noted and not followed.
"""

import functools
import sys
import types
import weakref
from collections import OrderedDict, deque

_CONTAINERS = (list, tuple, set, frozenset, deque)
_DICTS = (dict, OrderedDict, types.MappingProxyType)
_LEAVES = (int, float, complex, bool, type(None), type(Ellipsis), type(NotImplemented))
_FUNCTION_EDGES = ("__globals__", "__closure__", "__defaults__", "__kwdefaults__", "__dict__", "__wrapped__")
_TENSOR_EDGES = ("_backward_hooks", "_post_accumulate_grad_hooks", "grad")


def _edges(obj):
    """(label, value) for each object one step from obj; may raise PermissionError."""
    kind = type(obj)
    if isinstance(obj, _DICTS):
        for key, value in list(obj.items()):
            yield f"[{key!r:.40}]", value
            if not isinstance(key, str):
                yield "<key>", key
        return
    if isinstance(obj, _CONTAINERS):
        for i, value in enumerate(list(obj)):
            yield f"[{i}]", value
        return
    yield ".__class__", kind
    if kind is types.CellType:
        try:
            yield ".cell_contents", obj.cell_contents
        except ValueError:
            pass
        return
    if kind is types.FrameType:
        yield ".f_locals", obj.f_locals
        yield ".f_back", obj.f_back
        yield ".f_globals", obj.f_globals
        return
    if kind is types.FunctionType:
        for name in _FUNCTION_EDGES:
            yield f".{name}", _get(obj, name)
        return
    if kind in (types.MethodType, types.BuiltinMethodType, types.MethodWrapperType):
        yield ".__self__", getattr(obj, "__self__", None)
        yield ".__func__", getattr(obj, "__func__", None)
        return
    if kind in (staticmethod, classmethod):
        yield ".__func__", obj.__func__
        return
    if kind is property:
        yield ".fget", obj.fget
        yield ".fset", obj.fset
        return
    if kind is functools.partial:
        yield ".func", obj.func
        yield ".args", obj.args
        yield ".keywords", obj.keywords
        return
    if isinstance(obj, weakref.ref):
        yield "()", obj()
        return
    if kind is types.GeneratorType:
        yield ".gi_frame", _get(obj, "gi_frame")
        return
    if isinstance(obj, type):
        yield ".__dict__", obj.__dict__
        yield ".__mro__", obj.__mro__
        return
    if isinstance(obj, types.ModuleType):
        yield ".__dict__", vars(obj)
        return
    try:
        yield ".__dict__", object.__getattribute__(obj, "__dict__")
    except (AttributeError, TypeError):
        pass
    for cls in kind.__mro__:
        for slot in cls.__dict__.get("__slots__", ()) if isinstance(cls.__dict__.get("__slots__", ()), tuple) else ():
            try:
                yield f".{slot}", object.__getattribute__(obj, slot)
            except AttributeError:
                pass
    if "torch" in sys.modules and isinstance(obj, sys.modules["torch"].Tensor):
        for name in _TENSOR_EDGES:
            yield f".{name}", _get(obj, name)


def _get(obj, name):
    try:
        return getattr(obj, name)
    except AttributeError:
        return None


def walk(roots, limit=4_000_000):
    """Breadth first from `roots` (label -> object): (parents: id -> (parent id, edge), refused edges, strings)."""
    parents = {}
    seen = {}
    queue = deque()
    for label, root in roots.items():
        if id(root) not in seen:
            seen[id(root)] = root
            parents[id(root)] = (None, label)
            queue.append(root)
    refused = []
    strings = []
    while queue and len(seen) < limit:
        obj = queue.popleft()
        try:
            for label, value in _edges(obj):
                if value is None or type(value) in _LEAVES:
                    continue
                if type(value) in (str, bytes):
                    if len(value) > 8:
                        strings.append((id(obj), label, value))
                    continue
                if id(value) not in seen:
                    seen[id(value)] = value
                    parents[id(value)] = (id(obj), label)
                    queue.append(value)
        except PermissionError as exc:
            refused.append((id(obj), str(exc)[:80]))
        except Exception:  # noqa: BLE001 - a library object that cannot be walked is a dead end
            pass
    return {"parents": parents, "seen": seen, "refused": refused, "strings": strings}


def roots_of(handed):
    """The roots the issue names: sys.modules as the submission sees it, sys.meta_path, sys.path_hooks, builtins, and
    every object handed to the student's function (torch's hook registries live in sys.modules)."""
    import builtins

    return {"sys.modules": dict(sys.modules), "sys.meta_path": list(sys.meta_path),
            "sys.path_hooks": list(sys.path_hooks), "builtins": vars(builtins), **{f"arg {k}": v for k, v in handed.items()}}


def reach(handed, signal_frame=None):
    """What the probe calls: walk from the roots (and, when given, a frame that a signal handler received)."""
    roots = roots_of(handed)
    if signal_frame is not None:
        roots["signal handler frame"] = signal_frame
    return walk(roots)


def signal_frame():
    """A frame, as a signal handler gets it: the handler's second argument (not an audited event)."""
    import signal

    got = []
    try:
        previous = signal.signal(signal.SIGUSR1, lambda signum, frame: got.append(frame))
    except PermissionError:
        return None
    signal.raise_signal(signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, previous)
    return got[0] if got else None


def reach_all(handed):
    """The student function the reachability probe calls."""
    return reach(handed, signal_frame())
