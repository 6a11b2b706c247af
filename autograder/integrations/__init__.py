"""Integrations with grading platforms and CI: the Gradescope autograder package and a CI workflow template."""
