"""How a check says what went wrong: expected, observed, likely cause, fix."""

from __future__ import annotations

from typing import Any


class CheckFailed(AssertionError):
    """A check observed behaviour that differs from what the exercise asks for."""

    def __init__(self, expected: str, observed: str, cause: str | None = None, fix: str | None = None) -> None:
        self.expected, self.observed, self.cause, self.fix = expected, observed, cause, fix
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"expected: {self.expected}", f"observed: {self.observed}"]
        if self.cause:
            lines.append(f"likely cause: {self.cause}")
        if self.fix:
            lines.append(f"fix: {self.fix}")
        return "\n".join(lines)


def fail(expected: str, observed: str, cause: str | None = None, fix: str | None = None) -> None:
    """Fail the current check."""
    raise CheckFailed(expected, observed, cause, fix)


def expect(condition: Any, expected: str, observed: str, cause: str | None = None, fix: str | None = None) -> None:
    """Fail the current check unless `condition` holds."""
    if not condition:
        raise CheckFailed(expected, observed, cause, fix)
