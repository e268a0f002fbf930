"""Domain errors, each carrying a one-line message meant for the user."""


class StudioError(Exception):
    """A failure the user can act on; `str(error)` is the message to show."""


class VideoError(StudioError):
    """The file is not a readable video (missing, corrupt, empty, unsupported)."""


class ModelUnavailable(StudioError):
    """The checkpoint cannot be loaded (missing weights, offline, out of memory)."""


class GenerationError(StudioError):
    """Generation failed part-way (out of memory, interrupted device)."""
