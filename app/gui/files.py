"""Opening and saving: file dialogs, drag and drop, recent files, and "nothing lost" prompts.

Reading and writing run as jobs on the runner (a large TIFF should not freeze the window); the one exception
is the save offered by the unsaved-changes prompt, which must finish before the window closes or another
file replaces the picture, so it writes in place. Every failure arrives as an `ImageReadError` /
`ImageWriteError` message and is shown as it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from latent_studio.app.core.imageio import WRITE_FORMATS, Picture, load_image, save_image
from latent_studio.app.core.jobs import Job
from latent_studio.app.gui.document import Document
from latent_studio.app.gui.preferences import Preferences
from latent_studio.app.gui.worker import JobRunner
from latent_studio.models.errors import LatentStudioError

READ_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif")
OPEN_FILTER = "Images (" + " ".join(f"*{ext}" for ext in READ_EXTENSIONS) + ");;All files (*)"
#: Jobs that go on when the picture is replaced (the others were computing for the old one).
INDEPENDENT_KINDS = ("device", "save", "open")
SAVE_FILTERS = {
    "PNG (*.png)": ".png",
    "JPEG (*.jpg *.jpeg)": ".jpg",
    "WebP (*.webp)": ".webp",
    "TIFF (*.tif *.tiff)": ".tif",
}


# --- file dialogs: every one starts in the folder last used (any dialog, any open or save) ---------------


def dialog_folder(preferences: Preferences, current: str = "") -> str:
    """Where a file dialog starts: `current` (a field's folder) if it exists, else the last used folder if it
    still exists, else the home folder (never the working directory the editor happened to start in)."""
    for candidate in (current.strip(), preferences.last_directory):
        if candidate and os.path.isdir(candidate):
            return os.path.abspath(candidate)
    return os.path.expanduser("~")


def remember_folder(preferences: Preferences, path: str | os.PathLike) -> None:
    """The folder of `path` (or `path` itself, a folder) becomes the one the next dialog starts in."""
    path = os.path.abspath(path)
    preferences.last_directory = path if os.path.isdir(path) else os.path.dirname(path)


def ask_open_file(parent: QWidget | None, preferences: Preferences, caption: str, filters: str = OPEN_FILTER) -> str:
    """A file to read, chosen starting in the last used folder ("" when cancelled)."""
    path, _ = QFileDialog.getOpenFileName(parent, caption, dialog_folder(preferences), filters)
    if path:
        remember_folder(preferences, path)
    return path


def ask_save_file(
    parent: QWidget | None, preferences: Preferences, caption: str, name: str, filters: str, selected: str = ""
) -> tuple[str, str]:
    """(path, chosen filter) to write, the dialog showing `name` (a bare name goes in the last used folder)."""
    start = name if os.path.dirname(name) else os.path.join(dialog_folder(preferences), name)
    path, chosen = QFileDialog.getSaveFileName(parent, caption, start, filters, selected)
    if path:
        remember_folder(preferences, path)
    return path, chosen


def ask_folder(parent: QWidget | None, preferences: Preferences, caption: str, current: str = "") -> str:
    """A folder, chosen starting at `current` if it exists, else in the last used folder ("" when cancelled)."""
    folder = QFileDialog.getExistingDirectory(parent, caption, dialog_folder(preferences, current))
    if folder:
        remember_folder(preferences, folder)
    return folder


def dropped_image_paths(mime: QMimeData) -> list[str]:
    """Local files in a drag whose extension looks like an image we can read."""
    if not mime.hasUrls():
        return []
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return [path for path in paths if Path(path).suffix.lower() in READ_EXTENSIONS]


class FileController(QObject):
    """Open, save, save as, recent files, and the unsaved-changes prompt, for one window's document."""

    def __init__(
        self,
        window: QWidget,
        document: Document,
        runner: JobRunner,
        preferences: Preferences,
        show_error: Callable[[str], None],
        status: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._document = document
        self._runner = runner
        self._preferences = preferences
        self._show_error = show_error
        self._status = status

    # --- opening ------------------------------------------------------------------------------------------

    def open_dialog(self) -> None:
        path = ask_open_file(self._window, self._preferences, "Open Image")
        if path:
            self.open_path(path)

    def open_mime(self, mime: QMimeData) -> bool:
        """Open the first image in a drop; False when the drop holds none."""
        paths = dropped_image_paths(mime)
        if not paths:
            return False
        if len(paths) > 1:
            self._status(f"Opening {Path(paths[0]).name}; Latent Studio edits one image at a time.")
        self.open_path(paths[0])
        return True

    def open_path(self, path: str | os.PathLike) -> Job | None:
        """Read `path` off the GUI thread and make it the document (after asking about unsaved changes)."""
        if not self.confirm_discard():
            return None
        path = os.path.abspath(path)
        self._runner.cancel_except(INDEPENDENT_KINDS)  # results for the old picture are of no use now
        job = Job("open", lambda progress: load_image(path), f"Opening {Path(path).name}")
        return self._runner.submit(
            job,
            on_result=lambda picture: self._on_opened(path, picture),
            on_error=lambda message: self._on_open_failed(path, message),
        )

    def load_untitled(self, picture: Picture) -> bool:
        """Make `picture` a new untitled document that was never saved: Save asks for a name, closing asks."""
        if not self.confirm_discard():
            return False
        self._runner.cancel_except(INDEPENDENT_KINDS)
        self._document.load(picture, None)
        self._document.history.stack.resetClean()  # dirty from the start: no state of it is on disk
        return True

    def _on_opened(self, path: str, picture: Picture) -> None:
        self._document.load(picture, path)
        self._preferences.add_recent(path)
        remember_folder(self._preferences, path)
        self._status(f"Opened {Path(path).name}")

    def _on_open_failed(self, path: str, message: str) -> None:
        if not Path(path).exists():
            self._preferences.remove_recent(path)
        self._show_error(message)

    def fill_recent_menu(self, menu: QMenu) -> None:
        """Rebuild the Open Recent submenu (connected to its aboutToShow)."""
        menu.clear()
        files = self._preferences.recent_files
        for index, path in enumerate(files):
            label = f"&{index + 1}  {Path(path).name}" if index < 9 else Path(path).name
            action = menu.addAction(label)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda checked=False, path=path: self.open_path(path))
        if files:
            menu.addSeparator()
            menu.addAction("Clear Recent Files", self._preferences.clear_recent)
        else:
            menu.addAction("No recent files").setEnabled(False)

    # --- saving -------------------------------------------------------------------------------------------

    def save(self) -> Job | None:
        """Save to the document's file (or ask for a name when its format can't be written)."""
        path = self._document.path
        if path is None or path.suffix.lower() not in WRITE_FORMATS:
            return self.save_as()
        return self.save_to(path)

    def save_as(self) -> Job | None:
        path = self.ask_save_path()
        return self.save_to(path) if path else None

    def ask_save_path(self) -> str | None:
        document = self._document
        named = document.path or document.suggested_path  # a restored autosave suggests its original's name
        stem = named.stem if named else "untitled"
        suffix = named.suffix.lower() if named else ".png"
        suffix = suffix if suffix in WRITE_FORMATS else ".png"
        chosen = next((name for name in SAVE_FILTERS if f"*{suffix}" in name), "")
        # a named picture is offered beside its file; an untitled one in the last used folder
        name = str(named.with_name(stem + suffix)) if named else stem + suffix
        path, selected = ask_save_file(
            self._window, self._preferences, "Save Image As", name, ";;".join(SAVE_FILTERS), chosen
        )
        if not path:
            return None
        if Path(path).suffix.lower() not in WRITE_FORMATS:
            path += SAVE_FILTERS.get(selected, ".png")
        return path

    def save_to(self, path: str | os.PathLike) -> Job | None:
        """Write the current picture to `path` off the GUI thread; the document is clean once it is written."""
        picture = self._document.picture
        if picture is None:
            return None
        path = os.path.abspath(path)

        def on_saved(_: object) -> None:
            if self._document.picture is picture:  # not edited while it was being written
                self._document.mark_saved(path)
            self._preferences.add_recent(path)
            self._status(f"Saved {path}")

        job = Job("save", lambda progress: save_image(picture, path), f"Saving {Path(path).name}")
        return self._runner.submit(job, on_result=on_saved, on_error=self._show_error)

    def save_now(self) -> bool:
        """Save in place, waiting for the write (used by the unsaved-changes prompt); True if saved."""
        picture, path = self._document.picture, self._document.path
        if picture is None:  # nothing open: nothing to lose
            return True
        if path is None or path.suffix.lower() not in WRITE_FORMATS:
            chosen = self.ask_save_path()
            if not chosen:
                return False
            path = Path(chosen)
        try:
            save_image(picture, path)
        except LatentStudioError as error:
            self._show_error(str(error))
            return False
        self._document.mark_saved(path)
        self._preferences.add_recent(str(path))
        return True

    # --- nothing lost -------------------------------------------------------------------------------------

    def confirm_discard(self) -> bool:
        """True when it is fine to replace or close the document (saved, discarded, or nothing to lose)."""
        if not self._document.is_dirty:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self._window,
            "Unsaved changes",
            f"{self._document.display_name} has unsaved changes. Save them first?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        if answer == buttons.Save:
            return self.save_now()
        return answer == buttons.Discard
