"""The tool panels the main window docks on the right, each imported explicitly.

Like app/cli.py for the sub-commands: a panel module that is renamed, missing or broken fails the import
here, loudly, instead of leaving its panel out quietly. A panel that fails to *construct* still costs only
itself: app/gui/docks.py records it in `PANEL_ERRORS` and the window names it in the status bar.
"""

from __future__ import annotations

from latent_studio.app.gui.panels.base_panel import ToolPanel
from latent_studio.app.gui.panels.colorize.panel import ColorizePanel
from latent_studio.app.gui.panels.history_panel import HistoryPanel
from latent_studio.app.gui.panels.info_panel import InfoPanel
from latent_studio.app.gui.panels.latent.panel import LatentPanel
from latent_studio.app.gui.panels.sketch.panel import SketchPanel

#: Panels in dock order: the neural tools (tabbed together), then the built-in Info and History.
PANEL_CLASSES: list[type[ToolPanel]] = [ColorizePanel, SketchPanel, LatentPanel, InfoPanel, HistoryPanel]

#: Panels that failed to construct (filled by app/gui/docks.py): (name, message).
PANEL_ERRORS: list[tuple[str, str]] = []

__all__ = ["PANEL_CLASSES", "PANEL_ERRORS", "ToolPanel"]
