"""The course as an nbgrader course: source notebooks built from solutions/, graded outside any kernel.

Kept import-light: in a student's own Jupyter, a notebook's setup cell runs
``from autograder.notebook import run_check, track_cells``.
"""

from .runtime import run_check, track_cells

__all__ = ["run_check", "track_cells"]
