"""Read and validate course.yml, reporting every problem with its file, line and field."""

from __future__ import annotations

import difflib
import functools
import inspect
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .locate import Loc, describe_location, duplicate_keys, line_of
from .schema import SUBLOC, Course

MANIFEST = "course.yml"
# libyaml's parser when PyYAML has it: ten times faster, and `check --watch` reads course.yml on every save
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ManifestError(Exception):
    """course.yml is missing or invalid; ``problems`` holds one ``file:line: field: what`` per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_course(path: Path) -> Course:
    """Load and validate a course manifest; raise ManifestError listing all problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ManifestError([f"{path}: cannot read the course manifest ({error.strerror})"]) from None
    return _parse(text, path)


@functools.lru_cache(maxsize=8)
def _parse(text: str, path: Path) -> Course:
    """The course a manifest's text describes (a Course is immutable: `check --watch` re-reads course.yml on
    every save, and parsing and validating it takes a few tens of milliseconds)."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        raise ManifestError([_yaml_problem(path, error)]) from None

    problems = [
        (line, f"{path}:{line}: {describe_location(loc, data)}: duplicate key (the first one, at line {first}, is ignored)")
        for loc, line, first in duplicate_keys(root)
    ]
    try:
        course = Course.model_validate(data)
    except ValidationError as error:
        for issue in error.errors():
            loc: Loc = (*issue["loc"], *issue.get("ctx", {}).get(SUBLOC, ()))
            line = line_of(root, loc)
            problems.append((line, f"{path}:{line}: {describe_location(loc, data)}: {_plain(issue, loc)}"))
    if problems:
        raise ManifestError([message for _, message in sorted(problems, key=lambda item: item[0])])
    return course


def find_course_root(start: Path) -> Path:
    """The nearest folder, ``start`` or one of its parents, holding course.yml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / MANIFEST).is_file():
            return folder
    raise FileNotFoundError(f"no {MANIFEST} in {start} or any folder above it")


def _yaml_problem(path: Path, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    return f"{where}: YAML syntax error: {problem}" + (f" ({context})" if context else "")


def _plain(issue: ErrorDetails, loc: Loc) -> str:
    """Pydantic's message, in plain words for the common cases."""
    if issue["type"] == "missing":
        return "required field is missing"
    if issue["type"] == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            return f"unknown field (did you mean '{close[0]}'?)"
        return f"unknown field (allowed: {', '.join(allowed)})" if allowed else "unknown field"
    return issue["msg"]


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model validating the mapping found at ``loc`` (list indices are skipped)."""
    model: type[BaseModel] | None = Course
    for part in loc:
        if isinstance(part, str):
            field = model.model_fields.get(part) if model else None
            model = _inner_model(field.annotation) if field else None
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _inner_model(argument)
        if found:
            return found
    return None
