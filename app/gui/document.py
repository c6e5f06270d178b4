"""The open document: where it came from, the picture as loaded ("before"), the current picture, its history.

Everything that changes the current picture goes through here (loading, an operation's result, undo and
redo), so the canvas, the title bar and the tool panels can all follow one `changed` signal. "Dirty" is
simply "the undo stack is not at its saved point", so undoing back to the saved state makes it clean again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from latent_studio.app.core.imageio import Picture
from latent_studio.app.gui.history import DEFAULT_MAX_BYTES, History


class Document(QObject):
    """One image being edited (or none, before the first Open)."""

    #: The current picture was replaced (load, operation, undo, redo, close).
    changed = Signal()
    #: A new file was opened or the document was saved under a new name.
    path_changed = Signal()
    #: Unsaved changes appeared or disappeared.
    dirty_changed = Signal(bool)

    def __init__(self, max_undo_bytes: int = DEFAULT_MAX_BYTES, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        #: Where a restored autosave came from: only offered as Save As's name, never written to silently.
        self.suggested_path: Path | None = None
        self.picture: Picture | None = None
        self.original: Picture | None = None
        self.history = History(self._set_picture, max_undo_bytes, self)
        self.history.stack.cleanChanged.connect(self._on_clean_changed)

    @property
    def is_open(self) -> bool:
        return self.picture is not None

    @property
    def is_dirty(self) -> bool:
        return self.is_open and not self.history.is_clean

    @property
    def display_name(self) -> str:
        if self.path is None and self.suggested_path is not None:
            return f"{self.suggested_path.name} (recovered)"
        return self.path.name if self.path else "Untitled"

    def load(self, picture: Picture, path: str | Path | None) -> None:
        """Start editing `picture` (just read from `path`): it becomes both the original and the current one."""
        was_dirty = self.is_dirty
        self.path = Path(path) if path is not None else None
        self.suggested_path = None
        self.original = picture
        self.history.clear()
        self.history.set_clean()
        self._set_picture(picture)
        self.path_changed.emit()
        if was_dirty:
            self.dirty_changed.emit(False)

    def restore(self, picture: Picture, original: Picture, suggested_path: str | Path | None) -> None:
        """Open a recovered `picture` as unsaved work: undo goes back to `original`, and it stays dirty until
        saved (Save asks for a name, suggesting `suggested_path`)."""
        self.load(original, None)
        self.suggested_path = Path(suggested_path) if suggested_path is not None else None
        self.apply(picture, "Restore autosave")
        self.history.stack.resetClean()  # no state of it is on disk, not even the original's
        self.path_changed.emit()

    def apply(self, picture: Picture, label: str) -> None:
        """Make `picture` the current one as an undoable step named `label`."""
        if self.picture is None:
            raise RuntimeError("apply() needs an open document")
        pixels = picture.pixels
        if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype not in (np.uint8, np.uint16):
            # Caught before it reaches the undo stack, where it would break every later undo/redo.
            raise ValueError(
                f"{label} produced {pixels.dtype} pixels of shape {pixels.shape}; expected HxWx3 or HxWx4 uint8/uint16"
            )
        self.history.push(self.picture, picture, label)

    def mark_saved(self, path: str | Path) -> None:
        """The current picture is now on disk at `path`."""
        new_path = Path(path)
        renamed = new_path != self.path
        self.path = new_path
        self.suggested_path = None
        self.history.set_clean()
        if renamed:
            self.path_changed.emit()

    def close(self) -> None:
        """Back to "no document"."""
        self.path = None
        self.suggested_path = None
        self.original = None
        self.history.clear()
        self._set_picture(None)
        self.path_changed.emit()
        self.dirty_changed.emit(False)

    def _set_picture(self, picture: Picture | None) -> None:
        self.picture = picture
        self.changed.emit()

    def _on_clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(self.is_open and not clean)
