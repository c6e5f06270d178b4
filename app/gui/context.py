"""What a tool panel may use of the editor: the document, the job runner, the canvas, settings, and a few verbs.

Panels get an `EditorContext` instead of the main window, so they depend on a small, stable surface (and can
be tested with a context built around a bare canvas and runner). The main window supplies the verbs
(`apply_result`, `show_error`, `status`) as callables.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Job, Progress
from latent_studio.app.gui.canvas import ImageCanvas
from latent_studio.app.gui.document import Document
from latent_studio.app.gui.preferences import Preferences
from latent_studio.app.gui.worker import JobRunner

if TYPE_CHECKING:
    from latent_studio.app.core.device import ComputeSettings

PictureOperation = Callable[[Picture, Progress], Picture]


class EditorContext:
    """The editor as seen by tool panels.

    - `document`: `.picture` (current), `.original` (as loaded), `.path`; its `changed` signal fires on every
      new picture (open, operation, undo, redo).
    - `runner`: the JobRunner; submit `app.core.jobs.Job`s, one kind per panel task ("colorize", ...).
    - `canvas`: the ImageCanvas; `clicked`/`dragged`/`released` in image pixels, `add_overlay` for markers,
      `set_hand_tool(False)` to receive left clicks.
    - `settings`: the ComputeSettings to run models with; `working_size`: the preferred model input size.
    - `apply_result(picture, label)`: make `picture` the current one as an undoable step.
    - `open_untitled(picture, label)`: show `picture` as a new untitled, unsaved document (in a new window
      when one is open), leaving the open document and its file untouched.
    - `show_preview(picture)`: show a picture on the canvas without making it a step (live slider
      previews); `show_preview(None)` goes back to the document's picture. Any document change ends it.
    - `show_error(message)`, `status(message)`: report to the user.
    - `run_operation(kind, fn, label)`: run `fn(current picture, progress)` as a job and apply its result.
    """

    def __init__(
        self,
        document: Document,
        runner: JobRunner,
        canvas: ImageCanvas,
        preferences: Preferences,
        apply_result: Callable[[Picture, str], None],
        show_error: Callable[[str], None],
        status: Callable[[str], None],
        window: QWidget | None = None,
        device_override: str | None = None,
        show_preview: Callable[[Picture | None], None] | None = None,
        open_untitled: Callable[[Picture, str], object] | None = None,
    ) -> None:
        self.document = document
        self.runner = runner
        self.canvas = canvas
        self.preferences = preferences
        self.window = window
        self.device_override = device_override
        self._apply_result = apply_result
        self._show_error = show_error
        self._status = status
        self._show_preview = show_preview
        self._open_untitled = open_untitled

    @property
    def settings(self) -> ComputeSettings:
        """Compute settings from the --device flag, else the saved preference (imports torch on first use)."""
        from latent_studio.app.core.device import ComputeSettings

        return ComputeSettings(device=self.device_override or self.preferences.device)

    @property
    def working_size(self) -> int:
        return self.preferences.working_size

    def apply_result(self, picture: Picture, label: str) -> None:
        self._apply_result(picture, label)

    def open_untitled(self, picture: Picture, label: str) -> None:
        if self._open_untitled is None:
            raise RuntimeError("this editor cannot open a new document")
        self._open_untitled(picture, label)

    def show_preview(self, picture: Picture | None) -> None:
        if self._show_preview is not None:
            self._show_preview(picture)

    def show_error(self, message: str) -> None:
        self._show_error(message)

    def status(self, message: str) -> None:
        self._status(message)

    def run_operation(self, kind: str, operation: PictureOperation, label: str, description: str = "") -> Job | None:
        """Run `operation(current picture, progress)` on the runner and apply its result as step `label`.

        The result is dropped if the document changed meanwhile (another file opened, an undo), since it
        was computed from a picture that is no longer current. Returns the job (None without a picture).
        """
        source = self.document.picture
        if source is None:
            self.status("Open an image first.")
            return None

        def on_result(result: Picture) -> None:
            if self.document.picture is not source:
                self.status(f"{label}: result discarded because the picture changed meanwhile.")
                return
            self.apply_result(result, label)

        job = Job(kind, partial(operation, source), description or label)
        return self.runner.submit(job, on_result=on_result, on_error=self.show_error)
