"""The vocabulary of checks: test files under solutions/NN_topic/ import from here."""

from autograder.checks.failures import CheckFailed, expect, fail
from autograder.checks.problems import StudentProblem

__all__ = ["CheckFailed", "StudentProblem", "expect", "fail"]
