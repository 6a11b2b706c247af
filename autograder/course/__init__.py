"""The course manifest (course.yml): validated models and their loader."""

from .loader import ManifestError, find_course_root, load_course
from .schema import Check, Course, Exercise, Timing

__all__ = ["Check", "Course", "Exercise", "ManifestError", "Timing", "find_course_root", "load_course"]
