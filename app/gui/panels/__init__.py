"""The tool panels the main window docks on the right, found by name so that a missing one is skipped.

Like `app/commands/__init__.py` for the CLI: list "module:Class" here; a module that does not exist yet (a
tool not built) is left out quietly, and one that fails to import is left out with its error logged and
kept in `PANEL_ERRORS`, so a broken tool costs its panel, never the editor.
"""

from __future__ import annotations

import importlib
import logging

from latent_studio.app.gui.panels.base_panel import ToolPanel

log = logging.getLogger(__name__)

#: Panels in dock order: the neural tools (tabbed together), then the built-in Info and History.
PANEL_NAMES = (
    "latent_studio.app.gui.panels.colorize_panel:ColorizePanel",
    "latent_studio.app.gui.panels.sketch_panel:SketchPanel",
    "latent_studio.app.gui.panels.latent_panel:LatentPanel",
    "latent_studio.app.gui.panels.info_panel:InfoPanel",
    "latent_studio.app.gui.panels.history_panel:HistoryPanel",
)

#: Import failures other than "module not written yet": (name, message).
PANEL_ERRORS: list[tuple[str, str]] = []


def load_panel_classes(names: tuple[str, ...] = PANEL_NAMES) -> list[type[ToolPanel]]:
    """The panel classes that import cleanly, in order."""
    classes: list[type[ToolPanel]] = []
    for name in names:
        module_name, _, class_name = name.partition(":")
        try:
            module = importlib.import_module(module_name)
            panel_class = getattr(module, class_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue  # a tool not built yet
            log.exception("Panel %s could not be loaded", name)
            PANEL_ERRORS.append((name, f"{type(error).__name__}: {error}"))
            continue
        except Exception as error:  # noqa: BLE001 - one broken panel must not stop the editor
            log.exception("Panel %s could not be loaded", name)
            PANEL_ERRORS.append((name, f"{type(error).__name__}: {error}"))
            continue
        classes.append(panel_class)
    return classes


PANEL_CLASSES: list[type[ToolPanel]] = load_panel_classes()

__all__ = ["PANEL_CLASSES", "PANEL_ERRORS", "PANEL_NAMES", "ToolPanel", "load_panel_classes"]
