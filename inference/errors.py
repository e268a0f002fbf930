"""Domain errors, each carrying a one-line message meant for the user."""


class StudioError(Exception):
    """A failure the user can act on; `str(error)` is the message to show."""


class VideoError(StudioError):
    """The file is not a readable video (missing, corrupt, empty, unsupported)."""


class ModelUnavailable(StudioError):
    """The checkpoint cannot be loaded (missing weights, offline, out of memory)."""


class GenerationError(StudioError):
    """Generation failed part-way (out of memory, interrupted device)."""


class ServerError(GenerationError):
    """The serving engine cannot be reached, timed out, or dropped the connection."""


def first_line(error: BaseException | str, limit: int = 200) -> str:
    """An error's first line, shortened to `limit` characters, for a one-line message."""
    text = str(error).strip()
    line = text.splitlines()[0].strip() if text else type(error).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"
