"""The contract between the judge (the grader's process) and the inside (the sandbox's): what both speak.

Nothing here imports either side; both import from here (tests/test_boundary.py holds every module to it).
"""
