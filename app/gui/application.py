"""Start the editor: the QApplication, the look, the main window, the files from the command line.

Exceptions that escape a Qt slot are routed to a message box (and the log) instead of being printed to a
terminal the user may not have, so a bug shows up as a message, never as a silent crash.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from latent_studio.app import __version__
from latent_studio.app.gui.main_window import APP_NAME, MainWindow
from latent_studio.app.gui.preferences import APPLICATION, ORGANIZATION
from latent_studio.app.gui.theme import app_icon, apply_theme
from latent_studio.models.errors import LatentStudioError

log = logging.getLogger(__name__)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists, as in tests), named and themed."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    if not isinstance(app, QApplication):
        raise RuntimeError("a QCoreApplication without widgets is already running; the editor needs a QApplication")
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("latent-studio")
    app.setWindowIcon(app_icon())
    apply_theme(app)
    return app


def _install_exception_hook(window: MainWindow) -> None:
    def hook(kind, error, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        if isinstance(error, LatentStudioError):
            message = str(error)
        else:
            log.error("Unhandled error:\n%s", "".join(traceback.format_exception(kind, error, tb)))
            message = f"Unexpected error: {kind.__name__}: {error}"
        with contextlib.suppress(Exception):  # last resort: the log already has it
            QMessageBox.critical(window, APP_NAME, message)

    sys.excepthook = hook


def run_gui(files: list[str], device: str | None = None) -> int:
    """Open the editor window (with the first of `files`, if any) and run until it closes."""
    app = create_application()
    window = MainWindow(device_override=device)
    _install_exception_hook(window)
    window.show()
    window.start_device_probe()  # also sets torch's thread counts, on the worker thread
    QTimer.singleShot(0, window.autosave.offer_restore)  # the work of a session that crashed, before any file
    if files:
        if len(files) > 1:
            window.show_status(f"Opening {files[0]}; Latent Studio edits one image at a time.")
        QTimer.singleShot(0, lambda: window.open_path(files[0]))
    return app.exec()
