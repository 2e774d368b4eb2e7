"""Validation problems, each pinned to a file and, where it applies, a row and field."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    row: int | None = None
    field: str | None = None
    code: str = "invalid"

    def location(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field is not None:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "field": self.field,
                "code": self.code, "message": self.message}


@dataclass
class ValidationReport:
    source: str
    problems: list[Problem] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def add(self, file: str, message: str, *, row: int | None = None,
            field: str | None = None, code: str = "invalid") -> None:
        self.problems.append(Problem(file, message, row=row, field=field, code=code))

    def render(self) -> str:
        """A readable, line-per-problem report."""
        if self.valid:
            checked = ", ".join(self.checked) or "nothing"
            return f"{self.source}: valid ({checked})"
        lines = [f"{self.source}: {len(self.problems)} problem(s)"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)
