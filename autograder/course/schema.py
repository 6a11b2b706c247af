"""The pydantic models of course.yml: Course, Exercise, Check, Timing, Demo, Deadline and LatePenalty."""

from __future__ import annotations

import keyword
import re
from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from autograder.contract.wire import DEFAULT_TIMEOUT

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]

EXERCISE_ID = re.compile(r"\d{2}_[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

# Validators that find a problem below their own field put the rest of its location
# in the error context under this key, so that reports can point at the exact line.
SUBLOC = "at"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(_Strict):
    """One graded check: the test function ``test_<id>`` in the exercise's test file."""

    id: str
    title: Text
    points: float = Field(ge=0)
    visibility: Visibility = "visible"
    hint: Text | None = None

    @field_validator("id")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.isidentifier() or keyword.iskeyword(value):
            raise PydanticCustomError(
                "check_id",
                "'{value}' is not a Python identifier; the check's test function is test_<id>",
                {"value": value},
            )
        return value

    @property
    def hidden(self) -> bool:
        """True for a hidden test (any visibility but ``visible``)."""
        return self.visibility != "visible"

    @property
    def test_name(self) -> str:
        """The pytest function implementing the check, e.g. ``test_classifier_structure``."""
        return f"test_{self.id}"


class Timing(_Strict):
    """The training-time comparison with the reference solution."""

    check: str
    max_ratio: float = Field(gt=1)
    n_epochs: int = Field(gt=0)


class Demo(_Strict):
    """An ungraded notebook cell pair that shows the student's functions at work, after the answer cell of
    the function or class ``after``."""

    after: str
    markdown: Text
    code: Text


class LatePenalty(_Strict):
    """What a late submission costs: `percent` of the points it earned for each started day (or hour), at most `cap`."""

    per: Literal["day", "hour"] = "day"
    percent: float = Field(gt=0, le=100)
    cap: float = Field(100, gt=0, le=100)


class Deadline(_Strict):
    """When work is due. Until `due` plus `late_hours` it is accepted with `penalty`; after that it scores 0."""

    due: AwareDatetime
    late_hours: float = Field(0, ge=0)
    penalty: LatePenalty | None = None

    @property
    def closes(self) -> datetime:
        """The end of the late window: work submitted after it is not accepted."""
        return self.due + timedelta(hours=self.late_hours)


class Exercise(_Strict):
    """One exercise: folder ``id`` under solutions/ and exercises/."""

    id: str
    title: Text
    module: str
    goals: list[Text] = Field(min_length=1)
    hints: list[Text] = []
    timeout: float = Field(DEFAULT_TIMEOUT, gt=0)
    timing: Timing | None = None
    checks: list[Check] = Field(min_length=1)
    demos: list[Demo] = []
    # A student release's manifest lists only the visible checks and says how many points hidden ones are worth
    hidden_points: float = Field(0, ge=0)
    deadline: Deadline | None = None          # this exercise's own; otherwise the course's

    @field_validator("id")
    @classmethod
    def _id_pattern(cls, value: str) -> str:
        if not EXERCISE_ID.fullmatch(value):
            raise PydanticCustomError(
                "exercise_id", "'{value}' should look like NN_lowercase_words, e.g. 07_topic", {"value": value}
            )
        return value

    @field_validator("module")
    @classmethod
    def _module_file(cls, value: str) -> str:
        stem = value.removesuffix(".py")
        if stem == value or not stem.isidentifier() or keyword.iskeyword(stem) or stem.startswith("test"):
            raise PydanticCustomError(
                "module_name",
                "'{value}' should be a Python file name like topic.py (not starting with test)",
                {"value": value},
            )
        return value

    @field_validator("checks")
    @classmethod
    def _unique_checks(cls, checks: list[Check]) -> list[Check]:
        _reject_duplicates([check.id for check in checks], "check")
        return checks

    @model_validator(mode="after")
    def _hidden_points_only_without_hidden_checks(self) -> Exercise:
        if self.hidden_points and self.hidden_checks:
            raise PydanticCustomError(
                "hidden_points", "hidden_points is for a student release's manifest, which lists no hidden checks; "
                "here the hidden checks' points count", {SUBLOC: ("hidden_points",)},
            )
        return self

    @model_validator(mode="after")
    def _timing_names_a_check(self) -> Exercise:
        ids = [check.id for check in self.checks]
        if self.timing is not None and self.timing.check not in ids:
            raise PydanticCustomError(
                "unknown_check",
                "'{check}' is not a check of this exercise (its checks: {ids})",
                {"check": self.timing.check, "ids": ", ".join(ids), SUBLOC: ("timing", "check")},
            )
        return self

    @property
    def test_file(self) -> str:
        """The test file beside the module, e.g. ``test_topic.py``."""
        return f"test_{self.module}"

    @property
    def module_name(self) -> str:
        """The importable module name, e.g. ``topic``."""
        return self.module.removesuffix(".py")

    @property
    def visible_checks(self) -> list[Check]:
        """Checks students see and run."""
        return [check for check in self.checks if not check.hidden]

    @property
    def hidden_checks(self) -> list[Check]:
        """Checks only the grader runs."""
        return [check for check in self.checks if check.hidden]

    @property
    def max_points(self) -> float:
        """Sum of the points of all checks (with the hidden ones a release's manifest only counts)."""
        return sum(check.points for check in self.checks) + self.hidden_points


class Course(_Strict):
    """The whole course, as described by course.yml."""

    title: Text
    exercises: list[Exercise] = Field(min_length=1)
    deadline: Deadline | None = None          # the whole submission's (an exercise's own deadline comes first)
    timezone: str = "UTC"                     # of submission times written without one (LMS file names, CSVs)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError("timezone", "'{value}' is not a time zone name such as Europe/Berlin or UTC",
                                      {"value": value}) from None
        return value

    @field_validator("exercises")
    @classmethod
    def _unique_exercises(cls, exercises: list[Exercise]) -> list[Exercise]:
        _reject_duplicates([exercise.id for exercise in exercises], "exercise")
        return exercises

    @property
    def max_points(self) -> float:
        """Sum of the points of all exercises."""
        return sum(exercise.max_points for exercise in self.exercises)

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise with this id; KeyError naming the known ids otherwise."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        known = ", ".join(exercise.id for exercise in self.exercises)
        raise KeyError(f"no exercise '{exercise_id}' in course.yml (exercises: {known})")

    def select(self, names: list[str] | None) -> list[Exercise]:
        """The exercises named (all of them when none are), in course order; KeyError for an unknown name."""
        if not names:
            return list(self.exercises)
        wanted = {self.exercise(name).id for name in names}
        return [e for e in self.exercises if e.id in wanted]


def _reject_duplicates(ids: list[str], what: str) -> None:
    """Raise a located error at the second use of an id."""
    first_index: dict[str, int] = {}
    for index, item_id in enumerate(ids):
        if item_id in first_index:
            raise PydanticCustomError(
                f"duplicate_{what}_id",
                "duplicate {what} id '{id}' (already used by item [{first}])",
                {"what": what, "id": item_id, "first": first_index[item_id], SUBLOC: (index, "id")},
            )
        first_index[item_id] = index
