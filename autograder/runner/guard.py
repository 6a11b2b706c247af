"""What a grading child puts up before it imports a submission, so that the code it grades cannot reach
the grader's instruments (the recorders, the probes and their frames) from inside the same process.

- The grader's own packages leave ``sys.modules`` (the child keeps direct references), and importing
  them from code that is not the grader's is refused: a fresh copy would be a different object anyway.
- An audit hook (``sys.addaudithook``: it cannot be removed) refuses, for code that is not the grader's,
  Python's or an installed library's: frames (``sys._getframe``, ``tb_frame``, ``gi_frame``, tracing),
  the garbage collector's object walks, ``ctypes``, ``/proc/<pid>/mem``, replacing the code or defaults
  of functions it did not write, forging code that claims a library's file name, and further audit hooks.
  Each refusal raises PermissionError and is remembered: the child reports it as tampering.

Audit hooks are no sandbox on their own (a determined attacker with ctypes or /proc/self/mem could
switch them off: both are refused here), which is why the recorders also keep a digest of what they
record (recorders.py) and the child compares torch's namespaces and hook registries before and after.
"""

from __future__ import annotations

import os
import site
import sys
import types
from pathlib import Path
from typing import Any, Callable

from autograder.probes import is_probe_module

GRADER_PACKAGES = frozenset({"autograder", "pytest", "_pytest", "pluggy"})
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


def _trusted_prefixes() -> tuple[str, ...]:
    """Where the grader, Python and the installed libraries live (code the submission did not write)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages(),
             str(Path(__file__).resolve().parents[1])}
    return tuple(sorted(os.path.join(os.path.realpath(r), "") for r in roots)) + ("<frozen ",)


def hide_grader_modules() -> None:
    """Take the grader's modules out of ``sys.modules`` (and the server's ``__main__``) for this child."""
    for name in [n for n in sys.modules if n.partition(".")[0] in GRADER_PACKAGES or is_probe_module(n)]:
        del sys.modules[name]
    sys.modules["__main__"] = types.ModuleType("__main__")


def install(root: Path, own_files: tuple[str, ...] = ()) -> Callable[[], list[str]]:
    """Install the audit hook for a submission in `root`; return a function listing what it refused so far.

    own_files: the grader's files that may lie outside its package or inside `root` (the exercise's probe file).
    """
    trusted = _trusted_prefixes()
    root_prefix = os.path.join(str(root), "")
    refused: list[str] = []
    busy = [False]
    getframe = sys._getframe

    def foreign(filename: str) -> bool:
        return filename not in own_files and (filename.startswith(root_prefix) or not filename.startswith(trusted))

    def on_stack(frame: types.FrameType | None) -> bool:
        while frame is not None:
            if foreign(frame.f_code.co_filename):
                return True
            frame = frame.f_back
        return False

    def passes_through(code: types.CodeType) -> bool:
        name = code.co_filename
        return name.startswith(trusted) and (name.endswith(_PASS_THROUGH) or (
            name.endswith("/traceback.py") and code.co_name in _PASS_THROUGH_FUNCTIONS))

    def caller_is_foreign(frame: types.FrameType | None) -> bool:
        while frame is not None and passes_through(frame.f_code):
            frame = frame.f_back
        return frame is not None and foreign(frame.f_code.co_filename)

    def judge(event: str, args: tuple[Any, ...], frame: types.FrameType | None) -> str | None:
        if event in _ALWAYS:
            return event if on_stack(frame) else None
        if event in _BY_CALLER:
            return event if caller_is_foreign(frame) else None
        if event == "import":
            name = str(args[0])
            if name.partition(".")[0] in GRADER_PACKAGES and caller_is_foreign(frame):
                return f"importing {name}"
        elif event == "object.__getattr__":
            if args[1] in _FRAME_ATTRS and caller_is_foreign(frame):
                return f"reading .{args[1]}"
        elif event == "object.__setattr__":
            target = args[0]
            if args[1] in _FUNCTION_ATTRS and isinstance(target, types.FunctionType) \
                    and not foreign(target.__code__.co_filename) and caller_is_foreign(frame):
                return f"replacing {getattr(target, '__qualname__', '?')}.{args[1]}"
        elif event == "open":  # /proc/<pid>/mem: read directly, or written through any library
            path, flags = args[0], args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            if isinstance(path, bytes):
                path = path.decode(errors="replace")
            if isinstance(path, str) and ((flags & _WRITING and on_stack(frame)) or caller_is_foreign(frame)):
                real = os.path.realpath(path)  # through a symbolic link too
                if real.startswith(("/proc/", "/dev/")) and real.endswith(_MEMORY_FILES):
                    return f"opening {path}"
        elif event in ("compile", "code.__new__"):
            filename = args[1]
            if isinstance(filename, bytes):
                filename = filename.decode(errors="replace")
            if isinstance(filename, str) and not foreign(filename) and caller_is_foreign(frame):
                return f"making code that claims to come from {filename}"
        return None

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in _WATCHED or busy[0]:
            return
        busy[0] = True
        try:
            reason = judge(event, args, getframe(1))
        finally:
            busy[0] = False
        if reason is not None:
            refuse(reason)

    def refuse(reason: str) -> None:
        refused.append(reason)
        raise PermissionError(f"{reason} is not allowed in a graded exercise: code under grading may not "
                              "reach into the grader or the interpreter")

    class GraderImports:
        """A finder first on sys.meta_path: `importlib.import_module` raises no audit event for the module
        it is asked for (only the import statement does), so refuse the grader's packages here too."""

        @staticmethod
        def find_spec(name: str, path: Any = None, target: Any = None) -> None:
            if name.partition(".")[0] in GRADER_PACKAGES and caller_is_foreign(getframe(1)):
                refuse(f"importing {name}")

    sys.addaudithook(hook)
    sys.meta_path.insert(0, GraderImports())
    return lambda: list(refused)
