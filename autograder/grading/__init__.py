"""Grading: running an exercise's checks against a submission and collecting results."""
