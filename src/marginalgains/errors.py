"""One exception family: every data error names where it happened and why."""

from __future__ import annotations

from dataclasses import dataclass


class GainsError(Exception):
    """Base class for every error marginal-gains raises on purpose."""


class CatalogueError(GainsError):
    """An indicator catalogue is malformed or inconsistent."""


class EngineError(GainsError):
    """A record-level computation cannot run (bad definition, schema, backend)."""


@dataclass(frozen=True)
class Rejection:
    """One rejected input row: where it was and why it was refused."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        return f"{where}: {self.reason}"


class DataError(GainsError):
    """Input data cannot be read at all, or (in strict mode) has rejected rows."""
