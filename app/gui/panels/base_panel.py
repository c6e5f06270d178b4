"""The base class of every tool panel (colorize, sketch, latent, ...), hosted in a dock on the right.

A panel is a QWidget built from an `EditorContext`; it never reaches into the main window. Its long work goes
through `context.runner` as jobs (a kind of its own, so a newer request supersedes the pending one), its
results go onto the undo stack through `context.apply_result(picture, label)`, and its errors through
`context.show_error(message)`. Panels that take clicks on the image set `wants_canvas_clicks = True` (the
window then turns the hand tool off while they are visible) and connect to `context.canvas.clicked` etc.

A minimal panel (app.gui.panels lists the Colorize, Sketch and Latent panels, each a sub-package):

    class ColorizePanel(ToolPanel):
        title = "Colorize"
        wants_canvas_clicks = True

        def __init__(self, context: EditorContext, parent: QWidget | None = None) -> None:
            super().__init__(context, parent)
            self.hints: list[tuple[float, float, QColor]] = []
            button = QPushButton("Colorize")
            button.clicked.connect(self._on_colorize)
            QVBoxLayout(self).addWidget(button)
            context.canvas.clicked.connect(self._on_canvas_clicked)   # x, y in image pixels
            context.canvas.add_overlay(self._paint_hints)              # painter in image pixels

        def _on_colorize(self) -> None:
            operation = partial(colorize_picture, hints=..., settings=self.context.settings)  # an app.core job fn
            self.context.run_operation("colorize", operation, "Colorize")   # worker, progress, undo, errors

For a live preview (a slider), submit `Job("latent-preview", fn)` to `context.runner` on every (throttled)
change - each one supersedes the previous - and show results with `context.show_preview(picture)`; apply
the final one with `context.apply_result(picture, label)`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from latent_studio.app.gui.context import EditorContext


class ToolPanel(QWidget):
    """Subclass, set `title`, build widgets in `__init__` (call super first)."""

    #: Dock title and Tools-menu entry.
    title: str = "Tool"
    #: Optional Tools-menu shortcut to show the panel, e.g. "Ctrl+Alt+C".
    shortcut: str | None = None
    #: True if the panel uses clicks on the canvas: the hand tool is switched off while it is visible.
    wants_canvas_clicks: bool = False
    #: Built-in panels (Info, History) go in the lower dock group; tool panels in the upper one.
    is_tool: bool = True

    def __init__(self, context: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName(f"panel-{type(self).__name__}")
        #: Whether the panel's tab is the raised one. Kept by the dock area from the dock's visibilityChanged:
        #: in Qt 6 a tabbed dock's hidden panel still says isVisible(), so never use that to decide.
        self.is_shown = False

    def panel_shown(self) -> None:
        """Called when the panel's dock becomes visible (or its tab is raised); override as needed.

        The window itself switches the hand tool off while a panel with `wants_canvas_clicks` is visible.
        """

    def panel_hidden(self) -> None:
        """Called when the panel's dock is hidden (or another tab is raised); override as needed."""

    def shutdown(self) -> None:
        """Called once before the window closes: stop timers, cancel this panel's jobs."""
