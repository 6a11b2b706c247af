"""What a fork server imports before it forks children: the stages of the plan the judge sent
(autograder/contract/plan.py), a module name or a probe file's path each."""

from __future__ import annotations

import importlib
from pathlib import Path

from autograder.inside.probes import load_probe_file


def import_modules(names: list[str]) -> None:
    """Import each module (a path: load that probe file); one that fails here is left to the child that
    needs it (which reports why)."""
    for name in names:
        try:
            if name.endswith(".py"):
                load_probe_file(Path(name))
            else:
                importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - preloading is only an optimisation
            continue
