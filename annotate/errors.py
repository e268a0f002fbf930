"""Errors of the annotation store, each carrying a one-line message meant for the user."""

from inference.errors import StudioError


class StoreError(StudioError):
    """The database cannot do what was asked (unreachable, locked, full, bad input, not found)."""


class NotFound(StoreError):
    """A video, item, run or revision id that the database does not hold."""


class InvalidInput(StoreError):
    """A value the store refuses to save (unknown task or status, malformed interval, ...)."""
