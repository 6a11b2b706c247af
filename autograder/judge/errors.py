"""The judge's own failure: the grader could not run (never the student's fault)."""

from __future__ import annotations


class GraderError(RuntimeError):
    """The grader itself could not run (not the student's fault)."""
