"""Lets `pytest exercises/NN_topic` run the checks: the autograder's pytest plugin, below this folder only."""

from autograder.judge.plugin import pytest_addoption, pytest_configure  # noqa: F401
