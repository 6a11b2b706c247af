"""Generate the student exercises (stubs, visible tests, READMEs) from solutions/ and course.yml."""

from .build import build_all, build_exercise
from .files import diff_exercises, write_exercises
from .markers import GenerateError, hidden_test_functions, strip_hidden_tests, strip_solutions, test_functions

__all__ = [
    "GenerateError",
    "build_all",
    "build_exercise",
    "diff_exercises",
    "hidden_test_functions",
    "strip_hidden_tests",
    "strip_solutions",
    "test_functions",
    "write_exercises",
]
