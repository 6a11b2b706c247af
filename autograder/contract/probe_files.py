"""How an exercise's probe file is named, on disk and once loaded: the judge finds it, the inside loads it."""

from __future__ import annotations

PROBE_FILE = "probes.py"
PROBE_MODULE_PREFIX = "autograder_probes_"  # a loaded probe file is the module PROBE_MODULE_PREFIX + its folder
