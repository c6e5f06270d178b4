"""History: every step on the undo stack, newest last; clicking a step goes back (or forward) to it."""

from __future__ import annotations

from PySide6.QtWidgets import QUndoView, QVBoxLayout, QWidget

from latent_studio.app.gui.context import EditorContext
from latent_studio.app.gui.panels.base_panel import ToolPanel
from latent_studio.app.gui.theme import icon


class HistoryPanel(ToolPanel):
    title = "History"
    is_tool = False

    def __init__(self, context: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.view = QUndoView(context.document.history.stack)
        self.view.setEmptyLabel("Original")
        self.view.setCleanIcon(icon("save"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.view)
