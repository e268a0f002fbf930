"""Errors of the annotation store, each carrying a one-line message meant for the user."""

from inference.errors import StudioError


class StoreError(StudioError):
    """The database cannot do what was asked (unreachable, locked, full, bad input, not found)."""


class NotFound(StoreError):
    """A video, item, run or revision id that the database does not hold."""


class InvalidInput(StoreError):
    """A value the store refuses to save (unknown task or status, malformed interval, ...)."""


class NothingToExport(InvalidInput):
    """An export that would write no training record; `report` says what was left out and why."""

    def __init__(self, message: str, report) -> None:
        super().__init__(message)
        self.report = report
