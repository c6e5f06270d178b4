"""Errors whose message is written for the person using the app.

Every failure a user can cause (a bad file, a full disk, a missing weights file) is raised as one of these,
so the GUI can show `str(error)` in a dialog and the CLI can print it, without a traceback. They live at the
bottom layer (models/), below app/core, because the models raise them too (a missing weights file).
"""


class LatentStudioError(Exception):
    """Base class: `str(error)` is a complete sentence for the user."""


class ImageReadError(LatentStudioError):
    """An input file could not be read as an image."""


class ImageTooLargeError(ImageReadError):
    """The image has more pixels than the configured limit (a decompression-bomb guard)."""


class ImageWriteError(LatentStudioError):
    """An output image could not be written; nothing was left half-written."""


class WeightsError(LatentStudioError):
    """A model's weights file is missing, corrupt or does not match its manifest entry."""


class Cancelled(LatentStudioError):
    """A job noticed it was cancelled (or superseded by a newer request) and stopped early."""

    def __init__(self, message: str = "The job was cancelled.") -> None:
        super().__init__(message)
