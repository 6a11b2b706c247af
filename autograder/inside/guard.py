"""What a grading child puts up before it imports a submission, so that the code it grades cannot reach
the grader's instruments (the recorders, the probes and their frames) from inside the same process.

- The grader's own modules leave ``sys.modules`` under every name they are listed by (the child keeps direct
  references), and importing them from code that is not the grader's is refused: a fresh copy would be a
  different object anyway.
- An audit hook (``sys.addaudithook``: it cannot be removed) refuses, for code that is not the grader's,
  Python's or an installed library's: frames (``sys._getframe``, ``tb_frame``, ``gi_frame``, tracing),
  the garbage collector's object walks, ``ctypes``, ``/proc/<pid>/mem``, reading the code or defaults of the
  grader's functions (where its hooks keep what they write to), replacing the code or defaults of functions it
  did not write, forging code that claims a library's file name, opening files through path objects of its
  own, and further audit hooks. A signal handler receives a frame, with no audit event: installing one from
  submitted code is refused by a wrapper around ``signal.signal``, and so is making a fresh copy of the
  ``_signal`` module. Each refusal raises PermissionError and is remembered: the child reports it as tampering.

Everything that submitted code can name (the finder on ``sys.meta_path``, the signal wrappers) is *sealed*: a
function with no closure and an empty ``__globals__``, whose configuration and every builtin it calls arrive in
its default arguments (a tuple, which the audit hook refuses to show or replace). Nothing it holds is shared
with the audit hook's own state, and nothing it is given by submitted code (a ``str`` subclass as a module or
file name, say) is used before it is copied to a plain ``str``, so no submitted method runs inside the hook.
``tests/test_reachability.py`` walks every object a submission can name, inside a real child, to show it.
"""

from __future__ import annotations

import _imp
import importlib.machinery
import os
import pathlib
import signal
import site
import sys
import types
from pathlib import Path
from typing import Any

from autograder.contract.probe_files import PROBE_MODULE_PREFIX

GRADER_PACKAGES = frozenset({"autograder", "pytest", "_pytest", "pluggy"})
# CPython's test helpers reach into the interpreter (frames, object addresses): no graded exercise needs them
_REFUSED_IMPORTS = frozenset({"_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase", "_xxsubinterpreters"})
_FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
_FUNCTION_ATTRS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
_ALWAYS = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames",
                     "sys.settrace", "sys.setprofile", "sys.addaudithook"})
_BY_CALLER = frozenset({"sys._getframe", "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.cdata",
                        "ctypes.cdata/buffer", "ctypes.call_function", "ctypes.string_at", "ctypes.wstring_at",
                        "ctypes.set_errno", "ctypes.set_last_error"})
_WATCHED = _ALWAYS | _BY_CALLER | {"import", "open", "compile", "code.__new__", "object.__getattr__",
                                   "object.__setattr__"}
# library code that hands frames (or ctypes, or imports) to whoever called it: look past it for the caller
_PASS_THROUGH = ("/inspect.py", "/ctypes/__init__.py", "/importlib/__init__.py", "<frozen importlib._bootstrap>")
_PASS_THROUGH_FUNCTIONS = frozenset({"walk_tb", "walk_stack"})  # in traceback.py (its formatting is harmless)
_MEMORY_FILES = ("/mem", "/pagemap")
_WRITING = os.O_WRONLY | os.O_RDWR
_PATH_TYPES = (pathlib.PurePosixPath, pathlib.PosixPath)


def _trusted_prefixes() -> tuple[str, ...]:
    """Where the grader, Python and the installed libraries live (code the submission did not write)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages(),
             str(Path(__file__).resolve().parents[1])}
    return tuple(sorted(os.path.join(os.path.realpath(r), "") for r in roots)) + ("<frozen ",)


def _is_grader_module(name: str, module: Any) -> bool:
    own = getattr(module, "__name__", None) if isinstance(module, types.ModuleType) else None
    return any(isinstance(n, str) and (n.partition(".")[0] in GRADER_PACKAGES or n.startswith(PROBE_MODULE_PREFIX))
               for n in (name, own))


def hide_grader_modules() -> None:
    """Take the grader's modules out of ``sys.modules`` for this child, under every name they are listed by (the
    server's ``__main__`` is listed as ``__mp_main__`` too, once multiprocessing is imported)."""
    server_main = sys.modules.get("__main__")
    for name in [n for n, m in sys.modules.items() if _is_grader_module(n, m) or (m is server_main and m is not None)]:
        del sys.modules[name]
    sys.modules["__main__"] = types.ModuleType("__main__")


# --- sealed functions: no closure, empty globals, everything they use in their defaults -------------------------

def _plain(value: Any, _type: Any = type, _str: Any = str, _bytes: Any = bytes, _issubclass: Any = issubclass) -> Any:
    """`value` as a plain str when it is a str or bytes (or a subclass: copied, none of its methods called)."""
    kind = _type(value)
    if kind is _str:
        return value
    if kind is _bytes:
        return _bytes.decode(value, "utf-8", "replace")
    if _issubclass(kind, _str):
        return _str.__str__(value)
    if _issubclass(kind, _bytes):
        return _bytes.decode(value, "utf-8", "replace")
    return None


def _foreign(filename: Any, _config: Any = None, _plain: Any = None) -> bool:
    """Whether code of that file name was written by the submission (or by no one the grader trusts)."""
    trusted, root_prefix, own_files = _config
    name = _plain(filename)
    if name is None:
        return True
    return name not in own_files and (name.startswith(root_prefix) or not name.startswith(trusted))


def _caller_is_foreign(frame: Any, _foreign: Any = None, _plain: Any = None, _pass_through: Any = (),
                       _pass_through_functions: Any = frozenset(), _trusted: Any = ()) -> bool:
    """Whether the code that called into the library, looking past the libraries that only hand things on, is
    the submission's."""
    while frame is not None:
        code = frame.f_code
        name = _plain(code.co_filename)
        function = _plain(code.co_name)
        if name is None or not name.startswith(_trusted) or not (
                name.endswith(_pass_through) or (name.endswith("/traceback.py") and function in _pass_through_functions)):
            break
        frame = frame.f_back
    return frame is not None and _foreign(frame.f_code.co_filename)


def _on_stack(frame: Any, _foreign: Any = None) -> bool:
    """Whether any code of the submission is on the stack."""
    while frame is not None:
        if _foreign(frame.f_code.co_filename):
            return True
        frame = frame.f_back
    return False


def _refuse(reason: str, _append: Any = None, _error: Any = PermissionError) -> None:
    _append(reason)
    raise _error(f"{reason} is not allowed in a graded exercise: code under grading may not reach into the grader "
                 "or the interpreter")


def _judge(event: str, args: tuple[Any, ...], frame: Any, _helpers: Any = None, _sets: Any = None,
           _type: Any = type, _int: Any = int, _len: Any = len, _realpath: Any = None,
           _function: Any = types.FunctionType, _path_types: Any = _PATH_TYPES,
           _writing: int = _WRITING, _memory_files: Any = _MEMORY_FILES) -> str | None:
    """The audit hook's verdict on one event: the reason to refuse it, or None."""
    foreign, on_stack, caller_is_foreign, plain, grader_file, path_of = _helpers
    always, by_caller, packages, refused_imports, frame_attrs, function_attrs = _sets
    if event in always:
        return event if on_stack(frame) else None
    if event in by_caller:
        return event if caller_is_foreign(frame) else None
    if event == "import":
        name = plain(args[0]) or ""
        if (name.partition(".")[0] in packages or name in refused_imports or name == "_signal") \
                and caller_is_foreign(frame):
            return f"importing {name}"
    elif event == "object.__getattr__":
        name = plain(args[1])
        if name in frame_attrs and caller_is_foreign(frame):
            return f"reading .{name}"
        if name in function_attrs and _type(args[0]) is _function and grader_file(args[0]) \
                and caller_is_foreign(frame):
            return f"reading the grader's {name}"
    elif event == "object.__setattr__":
        name, target = plain(args[1]), args[0]
        if name in function_attrs and _type(target) is _function and not foreign(target.__code__.co_filename) \
                and caller_is_foreign(frame):
            return f"replacing {plain(target.__qualname__)}.{name}"
    elif event == "open":  # /proc/<pid>/mem: read directly, or written through any library
        flags = args[2] if _len(args) > 2 and _type(args[2]) is _int else 0
        path = plain(args[0])
        if path is None and _type(args[0]) in _path_types:
            path = path_of(args[0])
        if path is None:
            if _type(args[0]) is _int:
                return None
            return "opening a file through a path object of its own" if on_stack(frame) else None
        if (flags & _writing and on_stack(frame)) or caller_is_foreign(frame):
            real = _realpath(path)  # through a symbolic link too
            if real.startswith(("/proc/", "/dev/")) and real.endswith(_memory_files):
                return f"opening {path}"
    elif event in ("compile", "code.__new__"):
        filename = plain(args[1])
        if filename is not None and not foreign(filename) and caller_is_foreign(frame):
            return f"making code that claims to come from {filename}"
    return None


def _path_of(path: Any, _plain: Any = None, _get: Any = object.__getattribute__, _join: Any = "/".join,
             _list: Any = list, _map: Any = map, _missing: Any = AttributeError,
             _unusable: Any = (AttributeError, TypeError)) -> str | None:
    """The string a pathlib path opens (PurePath.__str__, without calling it: its class may have been patched)."""
    try:
        return _plain(_get(path, "_str"))
    except _missing:
        pass
    try:
        drv, root, parts = _plain(_get(path, "_drv")), _plain(_get(path, "_root")), _list(_map(_plain, _get(path, "_parts")))
    except _unusable:
        return None
    if None in parts or drv is None or root is None:
        return None
    return drv + root + _join(parts[1:]) if drv or root else _join(parts) or "."


def _private_realpath() -> Any:
    """os.path.realpath, with its own copy of posixpath's globals and of the os functions it calls: submitted code
    that replaces os.lstat cannot run inside the audit hook, or change what it sees."""
    import posixpath
    import stat

    own = dict(vars(posixpath))
    own["os"] = types.SimpleNamespace(**{name: getattr(os, name) for name in (
        "fspath", "lstat", "readlink", "getcwd", "getcwdb", "fsencode", "fsdecode", "sep", "stat", "error")})
    own["stat"] = types.SimpleNamespace(S_ISLNK=stat.S_ISLNK)
    for name, value in list(own.items()):
        if type(value) is types.FunctionType and value.__module__ == "posixpath":
            own[name] = types.FunctionType(value.__code__, own, name, value.__defaults__)
            own[name].__kwdefaults__ = value.__kwdefaults__
    return own["realpath"]


def _grader_file(function: Any, _plain: Any = None, _config: Any = None) -> bool:
    """Whether a function is the grader's own (its package, or one of its probe files)."""
    package, own_files = _config
    name = _plain(function.__code__.co_filename)
    return name is not None and (name.startswith(package) or name in own_files)


def _hook(event: str, args: tuple[Any, ...], _watched: Any = frozenset(), _busy: Any = None, _judge: Any = None,
          _getframe: Any = None, _refuse: Any = None, _own_reads: Any = frozenset({"__code__", "f_code"})) -> None:
    """The audit hook. Its `_busy` state is its own: no function that submitted code can reach shares it.

    1 while it takes its caller's frame (that is its own sys._getframe event), 2 while it judges: then the only
    audited things its own code does are reading a function's __code__ and a frame's f_code; anything else comes from code it did not
    expect to run (a library function replaced by submitted code) and is refused."""
    if event not in _watched:
        return
    if _busy[0]:
        if _busy[0] == 2 and not (event == "object.__getattr__" and args[1] in _own_reads):
            _refuse(f"{event} while the grader's guard was at work")
        return
    _busy[0] = 1
    try:
        frame = _getframe(1)
        _busy[0] = 2
        reason = _judge(event, args, frame)
    finally:
        _busy[0] = 0
    if reason is not None:
        _refuse(reason)


def _find_spec(name: str, path: Any = None, target: Any = None, _plain: Any = None, _caller_is_foreign: Any = None,
               _getframe: Any = None, _refuse: Any = None, _packages: Any = frozenset(),
               _refused_imports: Any = frozenset()) -> None:
    """A finder first on sys.meta_path: `importlib.import_module` raises no audit event for the module it is asked
    for (only the import statement does), so refuse the grader's packages here too."""
    plain = _plain(name) or ""
    if (plain.partition(".")[0] in _packages or plain in _refused_imports) and _caller_is_foreign(_getframe(1)):
        _refuse(f"importing {plain}")


def _signal_guard(signalnum: Any, handler: Any, _original: Any = None, _caller_is_foreign: Any = None,
                  _getframe: Any = None, _refuse: Any = None, _callable: Any = callable) -> Any:
    """signal.signal, refused to submitted code for a handler of its own (the handler would receive a frame)."""
    if _callable(handler) and _caller_is_foreign(_getframe(1)):
        _refuse("installing a signal handler")
    return _original(signalnum, handler)


def _builtin_guard(spec_or_module: Any, _original: Any = None, _on_stack: Any = None, _getframe: Any = None,
                   _refuse: Any = None, _signal_module: Any = None, _spec_type: Any = None, _type: Any = type,
                   _plain: Any = None, _getattr: Any = getattr, _module_type: Any = types.ModuleType) -> Any:
    """_imp.create_builtin / _imp.exec_builtin, refused for a fresh `_signal` while submitted code is on the
    stack (its `signal` would be the one without the wrapper)."""
    if spec_or_module is _signal_module or (_type(spec_or_module) is _spec_type
                                            and _plain(_getattr(spec_or_module, "name")) == "_signal"):
        if _on_stack(_getframe(1)):
            _refuse("making a fresh copy of the _signal module")
    elif _type(spec_or_module) is not _spec_type and _type(spec_or_module) is not _module_type \
            and _on_stack(_getframe(1)):
        _refuse("creating a builtin module from an object of its own")
    return _original(spec_or_module)


def _seal(template: Any, **values: Any) -> Any:
    """A copy of `template` with no globals and no closure, whose named defaults hold `values`."""
    code = template.__code__
    names = code.co_varnames[code.co_argcount - len(template.__defaults__):code.co_argcount]
    defaults = tuple(values.pop(name) if name in values else default
                     for name, default in zip(names, template.__defaults__))
    assert not values, f"{template.__name__} has no parameters {sorted(values)}"
    return types.FunctionType(code, {}, template.__name__, defaults)


SEALED = (_plain, _foreign, _caller_is_foreign, _on_stack, _refuse, _judge, _path_of, _grader_file, _hook,
          _find_spec, _signal_guard, _builtin_guard)  # the templates: tests check that none of them reads a global


class Guard:
    """What `install` put up, for the child: what was refused so far, and whether any of it was taken down."""

    def __init__(self, refusals: tuple[list[str], ...], finder: Any, wrappers: list[tuple[Any, str, Any]]) -> None:
        self._refusals = refusals
        self._finder = finder
        self._finder_type = (type(finder), dict(vars(type(finder))))
        self._wrappers = wrappers

    def refused(self) -> list[str]:
        return [reason for refusals in self._refusals for reason in refusals]

    def changes(self) -> list[str]:
        """What of the guard submitted code took down (the finder, the signal wrappers)."""
        found = []
        if not sys.meta_path or sys.meta_path[0] is not self._finder or type(self._finder) is not self._finder_type[0] \
                or dict(vars(self._finder_type[0])) != self._finder_type[1]:
            found.append("sys.meta_path[0] (the grader's import guard)")
        found += [f"{getattr(space, '__name__', space)}.{name}" for space, name, wrapper in self._wrappers
                  if vars(space).get(name) is not wrapper]
        return found


def install(root: Path, own_files: tuple[str, ...] = ()) -> Guard:
    """Install the audit hook and the wrappers for a submission in `root`.

    own_files: the grader's files that may lie outside its package or inside `root` (the exercise's probe file).
    """
    import _signal

    trusted = _trusted_prefixes()
    own = tuple(str(name) for name in own_files)
    refused: list[str] = []
    getframe = sys._getframe
    plain = _seal(_plain)
    foreign = _seal(_foreign, _config=(trusted, os.path.join(str(root), ""), own), _plain=plain)
    on_stack = _seal(_on_stack, _foreign=foreign)
    caller_is_foreign = _seal(_caller_is_foreign, _foreign=foreign, _plain=plain, _pass_through=_PASS_THROUGH,
                              _pass_through_functions=_PASS_THROUGH_FUNCTIONS, _trusted=trusted)
    refuse = _seal(_refuse, _append=refused.append)
    grader_file = _seal(_grader_file, _plain=plain,
                        _config=(os.path.join(str(Path(__file__).resolve().parents[1]), ""), own))
    judge = _seal(_judge, _helpers=(foreign, on_stack, caller_is_foreign, plain, grader_file,
                                    _seal(_path_of, _plain=plain)),
                  _sets=(_ALWAYS, _BY_CALLER, GRADER_PACKAGES, _REFUSED_IMPORTS, _FRAME_ATTRS, _FUNCTION_ATTRS),
                  _realpath=_private_realpath())
    # the hook's refusals go to a list of its own: the finder and the wrappers below are in reach of submitted code
    hook_refused: list[str] = []
    hook = _seal(_hook, _watched=_WATCHED, _busy=[0], _judge=judge, _getframe=getframe,
                 _refuse=_seal(_refuse, _append=hook_refused.append))
    finder_type = type("GraderImports", (), {"__slots__": (), "find_spec": staticmethod(_seal(
        _find_spec, _plain=plain, _caller_is_foreign=caller_is_foreign, _getframe=getframe, _refuse=refuse,
        _packages=GRADER_PACKAGES, _refused_imports=_REFUSED_IMPORTS))})
    finder = finder_type()
    wrappers: list[tuple[Any, str, Any]] = []
    signal_guard = _seal(_signal_guard, _original=_signal.signal, _caller_is_foreign=caller_is_foreign,
                         _getframe=getframe, _refuse=refuse)
    wrappers += [(signal, "signal", signal_guard), (_signal, "signal", signal_guard)]
    for name in ("create_builtin", "exec_builtin"):
        wrappers.append((_imp, name, _seal(_builtin_guard, _original=getattr(_imp, name), _on_stack=on_stack,
                                           _getframe=getframe, _refuse=refuse, _signal_module=_signal,
                                           _spec_type=importlib.machinery.ModuleSpec, _plain=plain)))
    for space, name, wrapper in wrappers:
        setattr(space, name, wrapper)
    sys.addaudithook(hook)
    sys.meta_path.insert(0, finder)
    return Guard((hook_refused, refused), finder, wrappers)
