"""Probes: child-side functions that run the student's code on grader-owned inputs and observe it.

Each exercise has a module here named after the exercise's module (``iris.py`` → ``probes/iris.py``).
A probe takes the :class:`~autograder.observe.student.Student` handle plus keyword arguments
sent by the parent's check, and returns plain data (see ``runner/codec.py``).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Callable

Probe = Callable[..., Any]
PROBES: dict[str, Probe] = {}


def probe(fn: Probe) -> Probe:
    """Register a probe as ``<module>.<function>`` (e.g. ``iris.train_modes``)."""
    PROBES[f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"] = fn
    return fn


def load_all() -> None:
    """Import every probe module (the fork server does this once, before forking)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
