"""The panel area on the right: builds the panels from their classes, docks them, and follows their visibility.

Tool panels (colorize, sketch, latent) are tabbed together on top and get most of the height; the built-in
Info and History sit below them (tabbed when tools are there, stacked otherwise). A panel whose constructor
raises is left out and reported, never taking the window down with it.

Each panel sits in a scroll area inside its dock, so a panel taller than the space left to it (a 900x600
window) scrolls instead of pushing the dock over its neighbours or squeezing its widgets.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QTabWidget, QWidget

from latent_studio.app.gui.context import EditorContext
from latent_studio.app.gui.panels import PANEL_ERRORS, ToolPanel

log = logging.getLogger(__name__)

DOCK_WIDTH = 330
DOCK_MIN_WIDTH = 280
#: Heights the tool group and the Info/History group start with (Qt scales them to the space there is).
TOOL_HEIGHT, BUILT_IN_HEIGHT = 520, 260
#: The least height a dock's panel keeps visible (it scrolls below that); 900x600 leaves both groups more.
DOCK_MIN_PANEL_HEIGHT = 120


def scrolling(panel: QWidget) -> QScrollArea:
    """`panel` in a frameless scroll area that follows the dock's width and scrolls vertically when short."""
    scroll = QScrollArea()
    scroll.setObjectName(f"scroll-{panel.objectName()}")
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setMinimumHeight(DOCK_MIN_PANEL_HEIGHT)
    scroll.setWidget(panel)
    return scroll


class PanelDocks(QObject):
    def __init__(self, window: QMainWindow, context: EditorContext, panel_classes: list[type[ToolPanel]]) -> None:
        super().__init__(window)
        self._window = window
        self._context = context
        self.panels: list[ToolPanel] = []
        self.docks: list[QDockWidget] = []
        window.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        window.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
        groups: dict[bool, list[QDockWidget]] = {True: [], False: []}
        for panel_class in panel_classes:
            dock = self._create(panel_class)
            if dock is not None:
                groups[self.panels[-1].is_tool].append(dock)
        self._arrange(groups[True], groups[False])

    def _create(self, panel_class: type[ToolPanel]) -> QDockWidget | None:
        try:
            panel = panel_class(self._context)
        except Exception as error:  # a broken panel costs its dock, not the editor
            log.exception("Panel %s failed to start", panel_class.__name__)
            PANEL_ERRORS.append((panel_class.__name__, f"{type(error).__name__}: {error}"))
            return None
        dock = QDockWidget(panel.title, self._window)
        dock.setObjectName(f"dock-{panel_class.__name__}")  # stable: the saved layout refers to it
        dock.setWidget(scrolling(panel))
        dock.setMinimumWidth(DOCK_MIN_WIDTH)
        dock.visibilityChanged.connect(lambda visible, panel=panel: self._on_visibility_changed(panel, visible))
        if panel.shortcut:
            dock.toggleViewAction().setShortcut(panel.shortcut)
        self.panels.append(panel)
        self.docks.append(dock)
        return dock

    def _arrange(self, tools: list[QDockWidget], built_in: list[QDockWidget]) -> None:
        """A tab already names its dock, so tabbed docks get an empty title bar instead of repeating it."""
        window, right = self._window, Qt.DockWidgetArea.RightDockWidgetArea
        for group, tabbed in ((tools, len(tools) > 1), (built_in, bool(tools) and len(built_in) > 1)):
            for index, dock in enumerate(group):
                if index == 0 or not tabbed:
                    window.addDockWidget(right, dock, Qt.Orientation.Vertical)
                else:
                    window.tabifyDockWidget(group[0], dock)
                if tabbed:
                    dock.setTitleBarWidget(QWidget(dock))
            if group:
                group[0].raise_()
        if self.docks:
            window.resizeDocks(self.docks[:1], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        if tools and built_in:
            window.resizeDocks([tools[0], built_in[0]], [TOOL_HEIGHT, BUILT_IN_HEIGHT], Qt.Orientation.Vertical)
        elif len(built_in) > 1:
            window.resizeDocks(built_in[:2], [270, 430], Qt.Orientation.Vertical)

    def _on_visibility_changed(self, panel: ToolPanel, visible: bool) -> None:
        panel.is_shown = visible
        try:
            panel.panel_shown() if visible else panel.panel_hidden()
        except Exception as error:
            log.exception("Panel %s failed to react to being shown/hidden", panel.title)
            self._context.status(f"{panel.title}: {type(error).__name__}: {error}")
        # Switching tabs hides one panel and shows another in either order: decide once both have happened.
        QTimer.singleShot(0, self._sync_hand_tool)

    def _sync_hand_tool(self) -> None:
        """Left clicks go to a visible panel that wants them; otherwise the left button pans."""
        wants_clicks = any(panel.wants_canvas_clicks and panel.is_shown for panel in self.panels)
        self._context.canvas.set_hand_tool(not wants_clicks)

    def shutdown(self) -> None:
        for panel in self.panels:
            try:
                panel.shutdown()
            except Exception:
                log.exception("Panel %s failed to shut down", panel.title)
