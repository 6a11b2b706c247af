"""The course as an nbgrader course: source notebooks built from solutions/, and the checks run from a kernel.

Kept import-light: a notebook's setup cell runs ``from autograder.notebook import run_check, track_cells``.
"""

from .runtime import run_check, track_cells

__all__ = ["run_check", "track_cells"]
