"""The window never loses work and never confuses keys: unique shortcuts, Send to editor in a new document,
every replace/discard path asking first, file dialogs starting in the last used folder."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QMenu, QMessageBox

from latent_studio.app.core.imageio import Picture
from latent_studio.app.gui.main_window import MainWindow
from latent_studio.app.gui.panels.sketch.panel import SketchPanel
from tests.conftest import running_window

TIMEOUT = 5000


@pytest.fixture
def window(qtbot, monkeypatch):
    # a new window names its device with a job that imports torch (seconds, on a cold test process): not tested here
    monkeypatch.setattr(MainWindow, "start_device_probe", lambda self: None)
    with running_window(qtbot, monkeypatch) as window:
        yield window


def every_action(window: QMainWindow) -> list[QAction]:
    """Menus (walked with each QAction held: PySide6 6.10 invalidates a menu() taken from a temporary),
    toolbars, docks' toggle actions and anything else parented inside the window."""
    found: list[QAction] = []

    def add(action: QAction) -> None:
        if action not in found:
            found.append(action)

    def walk(menu: QMenu) -> None:
        menu.aboutToShow.emit()  # Open Recent fills itself on show
        for action in menu.actions():
            add(action)
            submenu = action.menu()
            if submenu is not None:
                walk(submenu)

    bar = window.menuBar()
    for menu_action in bar.actions():
        add(menu_action)
        menu = menu_action.menu()
        if menu is not None:
            walk(menu)
    for dock in window.docks:
        add(dock.toggleViewAction())
    for action in window.findChildren(QAction):
        add(action)
    return found


def test_no_two_actions_share_a_shortcut(window):
    owners: dict[str, list[str]] = defaultdict(list)
    actions = every_action(window)
    assert len(actions) > 25
    for action in actions:
        for key in {key.toString(QKeySequence.SequenceFormat.PortableText) for key in action.shortcuts()}:
            if key:
                owners[key].append(action.text().replace("&", "") or action.objectName())
    duplicates = {key: names for key, names in owners.items() if len(names) > 1}
    assert not duplicates, f"shortcuts bound to more than one action: {duplicates}"
    assert owners["Ctrl+Alt+L"] == ["Rotate 90° Left"]
    assert owners["Ctrl+Alt+F"] == ["Latent"]


# --- nothing lost: Send to editor, and every action that replaces or discards the document ----------------


@pytest.fixture
def questions(monkeypatch):
    """Record unsaved-changes prompts; `answers` feeds them (Cancel when empty: nothing is lost by default)."""
    record = {"asked": [], "answers": []}

    def question(parent, title, text, *args, **kwargs):
        record["asked"].append(text)
        return record["answers"].pop(0) if record["answers"] else QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", question)
    return record


def open_image(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda kind, _: kind == "open"):
        window.open_path(str(path))


def sketch_panel(window) -> SketchPanel:
    return next(panel for panel in window.panels if isinstance(panel, SketchPanel))


def test_send_to_editor_opens_a_new_untitled_document_and_never_touches_the_photo(
    qtbot, window, questions, tiny_rgb, monkeypatch
):
    photo_path = tiny_rgb(width=40, height=30)
    photo_bytes = photo_path.read_bytes()
    open_image(qtbot, window, photo_path)
    photo = window.document.picture
    panel = sketch_panel(window)
    panel.result = np.full((256, 256, 3), 77, np.uint8)  # what the model drew (no need to run it here)

    panel.send_to_editor()
    others = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible() and w is not window
    ]
    assert len(others) == 1
    new = others[0]
    try:
        # the photo's window: same picture, same file, nothing to save
        assert window.document.picture is photo and window.document.path == photo_path
        assert not window.document.is_dirty
        # the new window: the result, untitled and unsaved
        assert new.document.path is None and new.document.is_dirty
        assert np.array_equal(new.document.picture.pixels, panel.result)
        assert new.windowTitle().startswith("Untitled") and new.isWindowModified()

        # Ctrl+S there asks for a name; cancelling it writes nothing anywhere
        asked = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a[2]) or ("", ""))
        assert new.files.save() is None
        assert len(asked) == 1 and asked[0].endswith("untitled.png")
        assert photo_path.read_bytes() == photo_bytes and new.document.is_dirty

        # closing it asks; Cancel keeps it open, Discard closes it
        assert not new.close() and new.isVisible() and len(questions["asked"]) == 1
        questions["answers"].append(QMessageBox.StandardButton.Discard)
        assert new.close()
    finally:
        if shiboken6.isValid(new):
            new.document.history.set_clean()
            new.close()
    assert photo_path.read_bytes() == photo_bytes and window.document.picture is photo


def test_send_to_editor_into_an_empty_window_stays_there(qtbot, window, questions):
    panel = sketch_panel(window)
    panel.result = np.full((256, 256, 3), 200, np.uint8)
    window.context.open_untitled(Picture(panel.result.copy()), "Sketch to image")
    assert [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()] == [window]
    assert window.document.path is None and window.document.is_dirty
    assert not window.close() and len(questions["asked"]) == 1  # unsaved: closing asks


def _drop(window, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)


def _open_recent(window, path) -> None:
    window.preferences.add_recent(str(path))
    window.files.fill_recent_menu(window.recent_menu)
    window.recent_menu.actions()[0].trigger()


REPLACERS = {
    "Open": lambda window, other, monkeypatch: (
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), "")),
        window.editor_actions.open.trigger(),
    ),
    "Open Recent": lambda window, other, monkeypatch: _open_recent(window, other),
    "drag and drop": lambda window, other, monkeypatch: _drop(window, other),
    "Close": lambda window, other, monkeypatch: window.editor_actions.close.trigger(),
    "Quit": lambda window, other, monkeypatch: window.editor_actions.quit.trigger(),
    "Send to editor": lambda window, other, monkeypatch: window.open_untitled(
        Picture(np.zeros((4, 4, 3), np.uint8)), "x"
    ),
}


@pytest.mark.parametrize("verb", list(REPLACERS))
def test_every_action_that_replaces_the_document_asks_first(qtbot, window, questions, tiny_rgb, monkeypatch, verb):
    path, other = tiny_rgb(seed=1), tiny_rgb(name="other.png", seed=2)
    open_image(qtbot, window, path)
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        window.editor_actions.operations["flip_horizontal"].trigger()
    edited = window.document.picture
    before = len([w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()])

    REPLACERS[verb](window, other, monkeypatch)  # the prompt answers Cancel
    window.runner.wait_for_done(TIMEOUT)
    qtbot.wait(20)
    extra = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible() and w is not window
    ]
    try:
        assert window.isVisible() and window.document.picture is edited and window.document.path == path
        assert window.document.is_dirty
        if verb == "Send to editor":  # nothing to ask: the edited picture is not replaced at all
            assert questions["asked"] == [] and len(extra) == 1
        else:
            assert len(questions["asked"]) == 1 and "unsaved changes" in questions["asked"][0]
            assert len(extra) == before - 1
    finally:
        for new in extra:
            new.document.history.set_clean()
            new.close()


def test_quit_asks_every_window_and_stops_at_the_first_cancel(qtbot, window, questions):
    window.open_untitled(Picture(np.zeros((4, 4, 3), np.uint8)), "first")
    second = window.open_untitled(Picture(np.ones((4, 4, 3), np.uint8)), "second")
    assert second is not window and window.document.is_dirty and second.document.is_dirty
    try:
        questions["answers"] += [QMessageBox.StandardButton.Cancel]
        assert not window.quit_all()
        assert window.isVisible() and second.isVisible() and len(questions["asked"]) == 1
        questions["answers"] += [QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Discard]
        assert window.quit_all()
        assert not window.isVisible() and len(questions["asked"]) == 3
    finally:
        if shiboken6.isValid(second):
            second.document.history.set_clean()
            second.close()


# --- file dialogs start in the last used folder ---------------------------------------------------------------


@pytest.fixture
def dialog_starts(monkeypatch):
    """Every QFileDialog call records the folder it starts in and is cancelled (or answers `answers`)."""
    record = {"starts": [], "answers": []}

    def fake(kind):
        def dialog(parent, caption, start="", *args, **kwargs):
            record["starts"].append((caption, start))
            answer = record["answers"].pop(0) if record["answers"] else ""
            return answer if kind == "folder" else (answer, "")

        return dialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake("open"))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake("save"))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", fake("folder"))
    return record


def test_every_file_dialog_starts_in_the_last_used_folder(
    qtbot, window, dialog_starts, tiny_rgb, tmp_path, monkeypatch
):
    from latent_studio.app.gui.panels.latent.panel import LatentPanel
    from latent_studio.app.gui.panels.latent.widgets import NewDirectionDialog

    first = tmp_path / "first"
    first.mkdir()
    monkeypatch.chdir(tmp_path)  # the working directory is never where a dialog starts
    open_image(qtbot, window, tiny_rgb(name="first/photo.png"))
    window.document.close()
    latent = next(panel for panel in window.panels if isinstance(panel, LatentPanel))
    sketch = sketch_panel(window)
    batch = window.open_batch_dialog()
    direction = NewDirectionDialog(window, window.preferences)
    dialogs = {
        "Open": window.editor_actions.open.trigger,
        "Load B": latent._on_load_b,
        "Load sketch": sketch._on_load,
        "Save sketch": sketch._on_save_sketch,
        "Batch input folder": lambda: batch._choose_folder(batch.in_dir, "Input"),
        "New direction folder": lambda: direction._browse(direction.with_edit, "With"),
        "Save As (untitled)": lambda: (
            window.open_untitled(Picture(np.zeros((4, 4, 3), np.uint8)), "x"),
            window.files.save_as(),
            window.document.history.set_clean(),
            window.document.close(),
        ),
    }
    for name, open_dialog in dialogs.items():
        dialog_starts["starts"].clear()
        open_dialog()
        assert len(dialog_starts["starts"]) == 1, name
        start = dialog_starts["starts"][0][1]
        assert start == str(first) or Path(start).parent == first, f"{name} started in {start}"

    # a folder chosen in any dialog (here the batch input's) is where the next one starts, the main Open included
    second = tmp_path / "second"
    second.mkdir()
    dialog_starts["answers"].append(str(second))
    batch._choose_folder(batch.in_dir, "Input")
    assert batch.in_dir.text() == str(second)
    dialog_starts["starts"].clear()
    window.editor_actions.open.trigger()
    assert dialog_starts["starts"] == [("Open Image", str(second))]
    batch.close()
