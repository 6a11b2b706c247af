"""nbgrader's late-submission plugin with course.yml's penalty: `nbgrader autograde` charges what grade-all charges.

nbgrader decides how many seconds late a submission is (its own timestamp, the assignment's duedate and the
student's extension); this plugin turns that into points with the notebook's exercise deadline in course.yml
(its late window and penalty; the due date itself is nbgrader's).
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Unicode

from autograder.classroom.late import deadline_for, late_fraction
from autograder.course import load_course


class CourseLatePenalty(LateSubmissionPlugin):
    """The penalty of the notebook's exercise in course.yml (its own deadline's, else the course's)."""

    course = Unicode("", help="The course kit whose course.yml sets the late penalty: an absolute path.").tag(
        config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        if not self.course:
            raise ValueError("CourseLatePenalty.course is not set (autograder nbgrader build writes it)")
        exercise = getattr(self.parent, "notebook_id", "")   # AssignLatePenalties sets it before asking us
        deadline = deadline_for(load_course(Path(self.course) / "course.yml"), exercise)
        if deadline is None:
            self.log.warning("%s: %s is late but course.yml has no deadline for it: no penalty", student_id, exercise)
            return None
        penalty = round(score * late_fraction(deadline, total_seconds_late), 6)
        self.log.info("%s: %s is %.0f s late: penalty %g of %g points", student_id, exercise, total_seconds_late,
                      penalty, score)
        return penalty
