"""Autosave and crash recovery: a crash, a kill -9 or a power cut never loses more than a minute of work.

While the document has unsaved changes, its current picture (every applied result), its original and its
file name are written every `interval_ms` to the user data folder (`app.core.recovery` holds the format),
off the GUI thread, atomically. Each session writes its own `autosave-<session>.npz` and holds
`autosave-<session>.lock` (a QLockFile, which the operating system's process table proves stale once its
process is gone). A clean close, a save, or discarding the changes removes the file; so an autosave whose lock
nobody holds is the work of a session that did not close cleanly, and `offer_restore` (called when the editor
starts) asks whether to bring it back. A restored picture opens as an unsaved document: its old path is only
Save As's suggestion, so nothing is ever overwritten without the user choosing it.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.recovery import SUFFIX, RecoveryError, autosave_dir, read_autosave, write_autosave
from latent_studio.app.gui.document import Document

#: How often the open document is written while it has unsaved changes.
AUTOSAVE_INTERVAL_MS = 60_000
PREFIX = "autosave-"

State = tuple[Picture, Picture, Path | None]


class Autosave(QObject):
    """Writes one window's document to its session's autosave file, and offers other sessions' leftovers."""

    #: An autosave file was written (its path); emitted from the writer thread, delivered queued.
    written = Signal(str)
    #: Writing failed (a sentence for the status bar).
    failed = Signal(str)

    def __init__(
        self,
        document: Document,
        window: QWidget,
        status: Callable[[str], None],
        show_error: Callable[[str], None],
        interval_ms: int = AUTOSAVE_INTERVAL_MS,
        folder: Path | None = None,
    ) -> None:
        super().__init__(window)
        self._document = document
        self._window = window
        self._status = status
        self._show_error = show_error
        self.folder = Path(folder) if folder is not None else autosave_dir()
        self.path = self.folder / f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        self._lock: QLockFile | None = None  # taken on the first write
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")  # writes in order
        self._pending: Future | None = None
        self._written: State | None = None
        self._closed = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_if_needed)
        self.timer.start()
        self.failed.connect(self._on_failed)
        document.dirty_changed.connect(self._on_dirty_changed)

    # --- writing ------------------------------------------------------------------------------------------

    def save_if_needed(self) -> Future | None:
        """Queue a write when the document has unsaved changes not yet autosaved; the write's future, or None."""
        document = self._document
        if not document.is_dirty or document.picture is None or document.original is None:
            return None
        state: State = (document.picture, document.original, document.path or document.suggested_path)
        if self._written is not None and _same(self._written, state):
            return None
        if self._closed or (self._pending is not None and not self._pending.done()):
            return None  # a slow disk: the next tick writes the newest picture
        if not self._take_lock():
            return None
        self._written = state
        self._pending = self._executor.submit(self._write, state)
        return self._pending

    def discard(self) -> None:
        """Nothing unsaved any more (saved, discarded, closed): remove this session's autosave, after any write."""
        self._written = None
        if self._lock is not None:
            self._executor.submit(self._remove, self.path)

    def shutdown(self) -> None:
        """The window closes cleanly: remove this session's autosave and release its lock."""
        self.timer.stop()
        self.discard()
        self._closed = True
        self._executor.shutdown(wait=True)
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def _take_lock(self) -> bool:
        if self._lock is not None:
            return True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self._status(f"Autosave is off: cannot create {self.folder} ({error.strerror or error}).")
            return False
        lock = _lock_for(self.path)
        if not lock.tryLock(0):
            self._status(f"Autosave is off: cannot lock {self.path.with_suffix('.lock')}.")
            return False
        self._lock = lock
        return True

    def _write(self, state: State) -> None:  # on the writer thread
        try:
            write_autosave(self.path, *state)
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            self.failed.emit(f"Autosave failed: cannot write {self.path} ({reason}).")
            return
        self.written.emit(str(self.path))

    @staticmethod
    def _remove(path: Path) -> None:  # on the writer thread
        path.unlink(missing_ok=True)

    def _on_failed(self, message: str) -> None:
        self._written = None  # try again at the next tick
        self._status(message)

    def _on_dirty_changed(self, dirty: bool) -> None:
        if not dirty:
            self.discard()

    # --- recovery -----------------------------------------------------------------------------------------

    def leftovers(self) -> list[Path]:
        """Autosaves of sessions that ended without a clean close (their lock is free), newest first."""
        if not self.folder.is_dir():
            return []
        self._sweep()
        found = []
        for path in self.folder.glob(f"{PREFIX}*{SUFFIX}"):
            if path == self.path:
                continue
            lock = _lock_for(path)
            if lock.tryLock(0):  # its session is gone (a stale lock of a dead process is taken over)
                lock.unlock()
                found.append(path)
        return sorted(found, key=lambda path: path.stat().st_mtime, reverse=True)

    def _sweep(self) -> None:
        """Remove what dead sessions left beside their autosaves: a lock with no file, a write cut short."""
        for lock_path in self.folder.glob(f"{PREFIX}*.lock"):
            if not lock_path.with_suffix(SUFFIX).exists() and lock_path != self.path.with_suffix(".lock"):
                lock = _lock_for(lock_path)
                if lock.tryLock(0):
                    lock.unlock()  # removes the lock file
        for part in self.folder.glob(f".{PREFIX}*{SUFFIX}.*.part"):
            owner = self.folder / part.name[1:].split(f"{SUFFIX}.")[0]
            lock = _lock_for(owner.with_suffix(SUFFIX))
            if owner.with_suffix(SUFFIX) != self.path and lock.tryLock(0):
                lock.unlock()
                part.unlink(missing_ok=True)

    def offer_restore(self) -> bool:
        """Ask whether to restore the newest leftover autosave; True when it became the document.

        Declining deletes it; older leftovers wait for the next start. Called once the window is shown.
        """
        if self._document.is_dirty:
            return False
        leftovers = self.leftovers()
        if not leftovers:
            return False
        path = leftovers[0]
        lock = _lock_for(path)
        if not lock.tryLock(0):  # another editor starting at the same moment took it
            return False
        try:
            return self._offer(path)
        finally:
            lock.unlock()

    def _offer(self, path: Path) -> bool:
        try:
            recovered = read_autosave(path)
        except RecoveryError as error:
            kept = path.with_suffix(".damaged")
            path.replace(kept)
            self._show_error(f"{error} It was kept as {kept}.")
            return False
        name = recovered.source_path.name if recovered.source_path else "an untitled picture"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(recovered.saved_at))
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self._window,
            "Restore unsaved work?",
            f"Latent Studio did not close normally. Restore the unsaved changes to {name}, autosaved {when}?\n\n"
            "Yes opens them as a new, unsaved picture (no file is overwritten); No discards them.",
            buttons.Yes | buttons.No,
            buttons.Yes,
        )
        if answer != buttons.Yes:
            path.unlink(missing_ok=True)
            self._status("The autosaved work was discarded.")
            return False
        self._document.restore(recovered.picture, recovered.original, recovered.source_path)
        try:
            if self._take_lock():  # it is this session's autosave now, so a second crash still finds it
                os.replace(path, self.path)
                picture, original = self._document.picture, self._document.original
                if picture is not None and original is not None:  # restore() just opened both
                    self._written = (picture, original, recovered.source_path)
        except OSError:  # could not move it: write this session's own copy now, then drop the old one
            if self.save_if_needed() is not None:
                self._executor.submit(self._remove, path)
        self._status(f"Restored {self._document.display_name}: save it to keep it.")
        return True


def _lock_for(path: Path) -> QLockFile:
    lock = QLockFile(str(path.with_suffix(".lock")))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however long a session runs
    return lock


def _same(a: State, b: State) -> bool:
    return a[0] is b[0] and a[1] is b[1] and a[2] == b[2]
