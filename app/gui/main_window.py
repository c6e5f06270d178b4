"""The editor window: canvas in the middle, tool panels docked on the right, menus, toolbar and status bar.

The window wires the parts together and keeps slots thin; the behaviour lives in the parts (Document,
History, JobRunner, ImageCanvas, FileController) and in plain methods here (`open_path`,
`run_image_operation`, `apply_result`, ...) that the tests call directly. Every error reaches the user as a
message box with the error's own sentence; nothing a user does can crash the window.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QMessageBox

from latent_studio.app import __version__
from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Job
from latent_studio.app.core.operations import IMAGE_OPERATIONS
from latent_studio.app.gui.actions import EditorActions, build_menus, build_toolbar, shortcuts_html
from latent_studio.app.gui.autosave import Autosave
from latent_studio.app.gui.batch_dialog import BatchDialog
from latent_studio.app.gui.canvas import ImageCanvas
from latent_studio.app.gui.compare import CompareMode
from latent_studio.app.gui.context import EditorContext
from latent_studio.app.gui.docks import PanelDocks
from latent_studio.app.gui.document import Document
from latent_studio.app.gui.files import INDEPENDENT_KINDS, FileController, dropped_image_paths
from latent_studio.app.gui.image_convert import to_display_image
from latent_studio.app.gui.panels import PANEL_CLASSES, PANEL_ERRORS, ToolPanel
from latent_studio.app.gui.preferences import Preferences, PreferencesDialog
from latent_studio.app.gui.status_bar import EditorStatusBar
from latent_studio.app.gui.train_dialog import TrainDialog
from latent_studio.app.gui.worker import JobRunner

log = logging.getLogger(__name__)

MIB = 1024 * 1024
APP_NAME = "Latent Studio"
#: Windows opened by `new_window`: referenced here until Qt deletes them (they have no parent to own them).
_NEW_WINDOWS: set[MainWindow] = set()


def probe_device(choice: str) -> str:
    """Start-up job: set torch's thread counts (on the worker thread that runs every job) and name the device."""
    from latent_studio.app.core.device import (
        ComputeSettings,
        configure_torch_threads,
    )  # imports torch: keep it off start-up

    configure_torch_threads()
    return ComputeSettings(device=choice).describe()


class MainWindow(QMainWindow):
    def __init__(
        self,
        preferences: Preferences | None = None,
        device_override: str | None = None,
        panel_classes: list[type[ToolPanel]] | None = None,
    ) -> None:
        super().__init__()
        self.preferences = preferences or Preferences()
        self._panel_classes = panel_classes
        self.runner = JobRunner(self)
        self.document = Document(self.preferences.max_undo_mib * MIB, self)
        self.canvas = ImageCanvas(self)
        self.setCentralWidget(self.canvas)
        self.status = EditorStatusBar(self)
        self.setStatusBar(self.status)
        self.context = EditorContext(
            self.document,
            self.runner,
            self.canvas,
            self.preferences,
            apply_result=self.apply_result,
            show_error=self.show_error,
            status=self.show_status,
            window=self,
            device_override=device_override,
            show_preview=self.show_preview,
            open_untitled=self.open_untitled,
        )
        self.files = FileController(
            self, self.document, self.runner, self.preferences, self.show_error, self.show_status
        )
        self.autosave = Autosave(self.document, self, self.show_status, self.show_error)  # offer_restore: at start
        self.editor_actions = EditorActions(self, self.document.history.stack)
        self.panel_docks = PanelDocks(self, self.context, PANEL_CLASSES if panel_classes is None else panel_classes)
        self.panels, self.docks = self.panel_docks.panels, self.panel_docks.docks
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        self.tools_menu = build_menus(self, self.editor_actions, self.recent_menu, self.docks)
        self.toolbar = build_toolbar(self, self.editor_actions)
        self._shown_original: Picture | None = None
        self.batch_dialog: BatchDialog | None = None  # made on first use; kept so a batch runs on while hidden
        self.train_dialog: TrainDialog | None = None  # the same: a training runs on while the dialog is hidden
        self._connect()
        self.setAcceptDrops(True)
        self._restore_geometry()
        self._update_title()
        self._update_enabled()
        for name, message in PANEL_ERRORS:
            self.show_status(f"The panel {name} could not be loaded: {message}")

    # --- building -----------------------------------------------------------------------------------------

    def _connect(self) -> None:
        acts, canvas, runner, document = self.editor_actions, self.canvas, self.runner, self.document
        acts.open.triggered.connect(self.files.open_dialog)
        acts.save.triggered.connect(self.files.save)
        acts.save_as.triggered.connect(self.files.save_as)
        acts.close.triggered.connect(self._on_close_document)
        acts.quit.triggered.connect(self.quit_all)
        acts.batch.triggered.connect(self.open_batch_dialog)
        acts.train.triggered.connect(self.open_train_dialog)
        acts.preferences.triggered.connect(self._on_preferences)
        acts.zoom_in.triggered.connect(canvas.zoom_in)
        acts.zoom_out.triggered.connect(canvas.zoom_out)
        acts.zoom_fit.triggered.connect(canvas.fit)
        acts.zoom_100.triggered.connect(canvas.actual_size)
        acts.split_view.toggled.connect(self._on_compare_toggled)
        acts.show_before.toggled.connect(self._on_compare_toggled)
        acts.hand_tool.toggled.connect(canvas.set_hand_tool)
        canvas.hand_tool_changed.connect(acts.hand_tool.setChecked)  # panels switch it too
        acts.cancel_job.triggered.connect(runner.cancel)
        acts.about.triggered.connect(self._on_about)
        acts.shortcuts.triggered.connect(self._on_shortcuts)
        for name, action in acts.operations.items():
            action.triggered.connect(lambda checked=False, name=name: self.run_image_operation(name))
        document.changed.connect(self._on_picture_changed)
        document.dirty_changed.connect(self._update_title)
        document.path_changed.connect(self._update_title)
        runner.started.connect(self._on_job_started)
        runner.progress.connect(lambda kind, fraction, message: self.status.set_progress(fraction, message))
        runner.busy_changed.connect(self._on_busy_changed)
        runner.cancelled.connect(lambda kind: self.show_status(f"{kind.capitalize()} cancelled."))
        for signal in (runner.finished, runner.failed, runner.cancelled):
            signal.connect(self._update_enabled)
        self.status.cancel_requested.connect(runner.cancel)
        canvas.view_changed.connect(lambda: self.status.set_zoom(canvas.zoom if canvas.has_image() else None))
        canvas.hovered.connect(lambda x, y: self.status.set_pixel(document.picture, x, y))

    # --- verbs (also the tests' entry points) -----------------------------------------------------------

    def open_path(self, path: str) -> Job | None:
        return self.files.open_path(path)

    def run_image_operation(self, name: str) -> Job | None:
        """Run one of the Image menu's operations on the current picture, through the worker."""
        operation = next(op for op in IMAGE_OPERATIONS if op.name == name)
        job = self.context.run_operation("image", operation.run, operation.label)
        self._update_enabled()
        return job

    def open_batch_dialog(self) -> BatchDialog:
        """Show the (modeless) Batch Process dialog; the same one each time, so a running batch stays visible."""
        if self.batch_dialog is None:
            self.batch_dialog = BatchDialog(self.preferences, self.context.device_override, self)
        self.batch_dialog.show()
        self.batch_dialog.raise_()
        self.batch_dialog.activateWindow()
        return self.batch_dialog

    def open_train_dialog(self) -> TrainDialog:
        """Show the (modeless) Train on My Photos dialog; the same one each time, so a training stays visible."""
        if self.train_dialog is None:
            self.train_dialog = TrainDialog(self.preferences, self.context.device_override, self)
        self.train_dialog.refresh_unfinished()
        self.train_dialog.show()
        self.train_dialog.raise_()
        self.train_dialog.activateWindow()
        return self.train_dialog

    def apply_result(self, picture: Picture, label: str) -> None:
        if not self.document.is_open:
            return
        self.document.apply(picture, label)
        self.show_status(label)

    def open_untitled(self, picture: Picture, label: str) -> MainWindow:
        """`picture` as a new untitled, unsaved document: in this window when it holds none, else in a new
        window, so the open document and its file are never replaced (Save there asks for a name)."""
        target = self.new_window() if self.document.is_open else self
        if target.files.load_untitled(picture):
            target.show_status(f"{label}: a new picture, not saved yet.")
        return target

    def new_window(self) -> MainWindow:
        """Another editor window sharing the application and its preferences, offset from this one."""
        window = MainWindow(self.preferences, self.context.device_override, self._panel_classes)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        _NEW_WINDOWS.add(window)
        window.destroyed.connect(lambda *_: _NEW_WINDOWS.discard(window))
        window.resize(self.size())
        window.move(self.pos() + QPoint(40, 40))
        window.show()
        window.start_device_probe()
        return window

    def quit_all(self) -> bool:
        """Close every editor window, each asking about its unsaved changes; stop at the first Cancel."""
        windows = [
            widget
            for widget in QApplication.topLevelWidgets()
            if isinstance(widget, MainWindow) and widget.isVisible() and widget is not self
        ]
        return all(window.close() for window in [*windows, self])

    def show_preview(self, picture: Picture | None) -> None:
        """Show `picture` without recording it (a live preview); None shows the document's picture again."""
        shown = picture if picture is not None else self.document.picture
        self.canvas.set_image(to_display_image(shown.pixels) if shown is not None else None)

    def show_error(self, message: str) -> None:
        self.show_status(message)
        QMessageBox.critical(self, APP_NAME, message)

    def show_status(self, message: str) -> None:
        self.status.showMessage(message, 6000)

    def start_device_probe(self) -> None:
        """Name the compute device in the status bar (and set torch's threads) without blocking start-up."""
        choice = self.context.device_override or self.preferences.device
        self.status.set_device("Device: …")
        self.runner.submit(
            Job("device", lambda progress: probe_device(choice), "Checking the compute device"),
            on_result=lambda text: self.status.set_device(text, "Compute device (Edit ▸ Preferences)"),
            on_error=lambda message: self.status.set_device("Device unavailable", message),
        )

    # --- slots ------------------------------------------------------------------------------------------

    def _on_picture_changed(self) -> None:
        picture, original = self.document.picture, self.document.original
        self.canvas.set_image(to_display_image(picture.pixels) if picture is not None else None)
        if original is not self._shown_original:
            self.canvas.set_before(to_display_image(original.pixels) if original is not None else None)
            self._shown_original = original
        self.status.set_picture(picture)
        self.status.set_zoom(self.canvas.zoom if picture is not None else None)
        self._update_enabled()

    def _on_compare_toggled(self, _checked: bool = False) -> None:
        acts = self.editor_actions
        if acts.show_before.isChecked():
            mode = CompareMode.BEFORE
        elif acts.split_view.isChecked():
            mode = CompareMode.SPLIT
        else:
            mode = CompareMode.OFF
        self.canvas.set_compare_mode(mode)

    def _on_job_started(self, kind: str) -> None:
        self.status.show_job(self.runner.description(kind))

    def _on_busy_changed(self, busy: bool) -> None:
        if not busy:
            self.status.show_job(None)
        self._update_enabled()

    def _on_recent_menu_about_to_show(self) -> None:
        self.files.fill_recent_menu(self.recent_menu)

    def _on_close_document(self) -> None:
        if self.files.confirm_discard():
            self.runner.cancel_except(INDEPENDENT_KINDS)
            self.document.close()

    def _on_preferences(self) -> None:
        dialog = PreferencesDialog(self.preferences, self)
        if dialog.exec():
            old_device = self.preferences.device
            dialog.apply_to(self.preferences)
            self.document.history.max_bytes = self.preferences.max_undo_mib * MIB
            if self.preferences.device != old_device:
                self.start_device_probe()

    def _on_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard Shortcuts", shortcuts_html(self))

    def _on_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3><p>A desktop image editor whose tools are neural networks "
            "trained by the project itself: colorization with hints, sketch to image, latent editing.</p>",
        )

    # --- window state -----------------------------------------------------------------------------------

    def _update_title(self, *_: object) -> None:
        name = self.document.display_name if self.document.is_open else None
        self.setWindowTitle(f"{name}[*] — {APP_NAME}" if name else APP_NAME)
        self.setWindowModified(self.document.is_dirty)

    def _update_enabled(self, *_: object) -> None:
        acts, has_picture = self.editor_actions, self.document.is_open
        for action in acts.document_actions():
            action.setEnabled(has_picture)
        image_busy = self.runner.is_busy("image")
        for action in acts.operations.values():
            action.setEnabled(has_picture and not image_busy)
        acts.cancel_job.setEnabled(self.runner.is_busy())

    def _restore_geometry(self) -> None:
        geometry, state = self.preferences.window_state()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
            screen = self.screen().availableGeometry() if self.screen() else None
            if screen is not None:
                self.move(screen.center() - self.rect().center())
        if state is not None:
            self.restoreState(state)

    # --- Qt events ----------------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if dropped_image_paths(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if dropped_image_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        if self.files.open_mime(event.mimeData()):
            event.acceptProposedAction()

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.panel_docks.shutdown()
        if self.batch_dialog is not None:
            self.batch_dialog.shutdown()
        if self.train_dialog is not None:
            self.train_dialog.shutdown()  # stops at a checkpoint: Unfinished offers it at the next start
        self.runner.cancel()
        self.runner.wait_for_done(10_000)
        self.preferences.save_window_state(self.saveGeometry(), self.saveState())
        self.preferences.sync()
        self.autosave.shutdown()  # a clean close leaves no autosave to offer
        event.accept()
