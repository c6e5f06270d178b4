"""The window never loses work and never confuses keys: unique shortcuts, Send to editor in a new document,
every replace/discard path asking first, file dialogs starting in the last used folder."""

from __future__ import annotations

from collections import defaultdict

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from tests.conftest import running_window

TIMEOUT = 5000


@pytest.fixture
def window(qtbot, monkeypatch):
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
