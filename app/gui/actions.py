"""The editor's actions (with shortcuts and icons), and the menus and toolbar built from them.

Kept apart from the main window so the window file is about behaviour, and so every shortcut is listed in
one place. Actions are created unconnected; the main window connects them to its `_on_*` slots.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar, QToolButton

from latent_studio.app.core.operations import IMAGE_OPERATIONS
from latent_studio.app.gui.theme import icon

Key = QKeySequence.StandardKey

#: Icons and shortcuts of the Image menu's operations, by operation name.
_OPERATION_LOOK = {
    "rotate_left": ("rotate-left", "Ctrl+Alt+L"),
    "rotate_right": ("rotate-right", "Ctrl+Alt+R"),
    "flip_horizontal": ("flip-horizontal", ""),
    "flip_vertical": ("flip-vertical", ""),
    "desaturate": ("desaturate", "Ctrl+Shift+U"),
}


def _action(
    parent: QMainWindow, text: str, shortcuts=(), icon_name: str = "", tip: str = "", checkable: bool = False
) -> QAction:
    action = QAction(text, parent)
    if icon_name:
        action.setIcon(icon(icon_name))
    keys = [QKeySequence(key) for key in shortcuts]
    keys = [key for key in keys if not key.isEmpty()]  # a standard key may have no binding on this platform
    if keys:
        action.setShortcuts(keys)
    shortcut = keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else ""
    action.setToolTip(f"{tip or text.replace('&', '').rstrip('…')}" + (f"  ({shortcut})" if shortcut else ""))
    action.setCheckable(checkable)
    return action


class EditorActions:
    """Every QAction of the main window, as attributes."""

    def __init__(self, window: QMainWindow, undo_stack: QUndoStack) -> None:
        self.open = _action(window, "&Open…", [Key.Open], "open", "Open an image")
        self.save = _action(window, "&Save", [Key.Save], "save", "Save the image")
        self.save_as = _action(window, "Save &As / Export…", ["Ctrl+Shift+S"], "", "Save under a new name or format")
        self.batch = _action(window, "&Batch Process…", ["Ctrl+B"], "", "Run a tool over a whole folder of pictures")
        self.train = _action(
            window, "Train on My &Photos…", [], "", "Fine-tune the colorizer on a folder of your photos"
        )
        self.close = _action(window, "&Close", [Key.Close])
        self.quit = _action(window, "&Quit", [Key.Quit])
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)

        self.undo = undo_stack.createUndoAction(window, "&Undo")
        self.undo.setShortcuts([QKeySequence(Key.Undo)])
        self.undo.setIcon(icon("undo"))
        self.redo = undo_stack.createRedoAction(window, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo.setIcon(icon("redo"))
        self.preferences = _action(window, "&Preferences…", [Key.Preferences, "Ctrl+,"], "settings")
        self.preferences.setMenuRole(QAction.MenuRole.PreferencesRole)

        self.zoom_in = _action(window, "Zoom &In", ["Ctrl++", "Ctrl+="], "zoom-in")
        self.zoom_out = _action(window, "Zoom &Out", ["Ctrl+-"], "zoom-out")
        self.zoom_fit = _action(window, "&Fit to Window", ["Ctrl+0"], "zoom-fit")
        self.zoom_100 = _action(window, "&Actual Size (100%)", ["Ctrl+1"], "zoom-100")
        self.split_view = _action(
            window, "&Split Before/After", ["Y"], "compare", "Compare with the original, side by side", True
        )
        self.show_before = _action(window, "Show &Original", ["\\"], "before", "Show the original picture", True)
        self.hand_tool = _action(window, "&Hand Tool", ["H"], "hand", "Drag with the left button to pan", True)
        self.hand_tool.setChecked(True)

        self.cancel_job = _action(window, "&Cancel Running Job", ["Esc"], "cancel")
        self.cancel_job.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.shortcuts = _action(window, "&Keyboard Shortcuts", [Key.HelpContents])
        self.about = _action(window, "&About Latent Studio")
        self.about.setMenuRole(QAction.MenuRole.AboutRole)

        self.operations: dict[str, QAction] = {}
        for operation in IMAGE_OPERATIONS:
            icon_name, shortcut = _OPERATION_LOOK.get(operation.name, ("", ""))
            action = _action(window, operation.label, [shortcut] if shortcut else [], icon_name)
            action.setData(operation.name)
            self.operations[operation.name] = action

    def document_actions(self) -> list[QAction]:
        """Actions that need an open document."""
        return [
            self.save,
            self.save_as,
            self.close,
            self.zoom_in,
            self.zoom_out,
            self.zoom_fit,
            self.zoom_100,
            self.split_view,
            self.show_before,
            *self.operations.values(),
        ]


def build_menus(window: QMainWindow, actions: EditorActions, recent_menu: QMenu, docks: list[QDockWidget]) -> QMenu:
    """Fill the menu bar; returns the Tools menu (panels add their toggles there)."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(actions.open)
    file_menu.addMenu(recent_menu)
    file_menu.addSeparator()
    file_menu.addActions([actions.save, actions.save_as])
    file_menu.addSeparator()
    file_menu.addAction(actions.batch)
    file_menu.addSeparator()
    file_menu.addActions([actions.close, actions.quit])

    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([actions.undo, actions.redo])
    edit_menu.addSeparator()
    edit_menu.addAction(actions.cancel_job)
    edit_menu.addSeparator()
    edit_menu.addAction(actions.preferences)

    view_menu = bar.addMenu("&View")
    view_menu.addActions([actions.zoom_in, actions.zoom_out, actions.zoom_fit, actions.zoom_100])
    view_menu.addSeparator()
    view_menu.addActions([actions.split_view, actions.show_before])
    view_menu.addSeparator()
    view_menu.addAction(actions.hand_tool)

    image_menu = bar.addMenu("&Image")
    for name, action in actions.operations.items():
        image_menu.addAction(action)
        if name in ("rotate_right", "flip_vertical"):
            image_menu.addSeparator()

    tools_menu = bar.addMenu("&Tools")
    tools_menu.addAction(actions.train)
    tools_menu.addSeparator()
    for dock in docks:
        tools_menu.addAction(dock.toggleViewAction())

    help_menu = bar.addMenu("&Help")
    help_menu.addActions([actions.shortcuts, actions.about])
    return tools_menu


def build_toolbar(window: QMainWindow, actions: EditorActions) -> QToolBar:
    toolbar = QToolBar("Main Toolbar", window)
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(20, 20))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    groups = [
        [actions.open, actions.save],
        [actions.undo, actions.redo],
        [actions.zoom_in, actions.zoom_out, actions.zoom_fit, actions.zoom_100],
        [actions.hand_tool, actions.split_view, actions.show_before],
        list(actions.operations.values()),
    ]
    for index, group in enumerate(groups):
        if index:
            toolbar.addSeparator()
        toolbar.addActions(group)
    for action in toolbar.actions():
        button = toolbar.widgetForAction(action)
        if isinstance(button, QToolButton):
            button.setAutoRaise(True)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    return toolbar


def shortcuts_html(window: QMainWindow) -> str:
    """A two-column table of every menu action that has a shortcut, in menu order, plus the mouse gestures."""
    rows = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        for action in menu.actions() if isinstance(menu, QMenu) else []:
            keys = ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts())
            if keys:
                rows.append(f"<tr><td>{action.text().replace('&', '')}</td><td><b>{keys}</b></td></tr>")
    gestures = [
        ("Zoom around the cursor", "Mouse wheel"),
        ("Pan", "Middle drag, Space + drag, or drag with the Hand tool"),
        ("Move the before/after divider", "Drag it"),
    ]
    rows += [f"<tr><td>{what}</td><td><b>{how}</b></td></tr>" for what, how in gestures]
    return "<table cellspacing='0' cellpadding='3'>" + "".join(rows) + "</table>"
