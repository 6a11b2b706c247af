"""The preload plan the judge hands a fork server: what it imports before it forks children, in stages.

The judge reads the plan from the course's own files (autograder/judge/planning.py), never from a submission;
the fork server imports it (autograder/inside/preload.py). A stage is a list of module names, and of probe
files by absolute path.
"""

from __future__ import annotations

Plan = list[list[str]]
PLAN_VARIABLE = "AUTOGRADER_PRELOAD"  # the fork server's environment variable that carries the plan, as JSON
BASE = ("numpy", "torch")
# The first optimizer.step() imports torch._dynamo (over a second): import it once, in the server
TRAINING = ("torch._dynamo",)
