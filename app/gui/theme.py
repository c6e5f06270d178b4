"""The look: Fusion with a restrained dark palette, a small style sheet for spacing, and the project's icons.

Image editors are dark so that the picture, not the chrome, carries the colour. The palette does most of the
work (so dialogs and standard widgets follow it); the style sheet only adjusts spacing, the toolbar, docks,
tabs, menus and the slim progress bar. Icons are simple SVGs in resources/icons; where one is missing the
style's standard icon stands in, so a stripped install still shows something.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory

from latent_studio import package_folder

RESOURCES = package_folder("resources")

ACCENT = "#4c8dff"
WINDOW = "#2a2c31"
BASE = "#202226"
SURFACE = "#33363c"
BORDER = "#1a1b1e"
TEXT = "#dfe2e7"
MUTED = "#8e949e"
ICON_COLOUR = "#d5d8de"  # the stroke colour of resources/icons/*.svg
DISABLED_ICON_COLOUR = "#5d626b"

_FALLBACK = {
    "open": QStyle.StandardPixmap.SP_DialogOpenButton,
    "save": QStyle.StandardPixmap.SP_DialogSaveButton,
    "undo": QStyle.StandardPixmap.SP_ArrowBack,
    "redo": QStyle.StandardPixmap.SP_ArrowForward,
    "cancel": QStyle.StandardPixmap.SP_DialogCancelButton,
}

STYLE_SHEET = f"""
QMainWindow::separator {{ background: {BORDER}; width: 1px; height: 1px; }}
QToolBar {{ background: {WINDOW}; border: none; border-bottom: 1px solid {BORDER}; padding: 3px 8px; spacing: 2px; }}
QToolBar::separator {{ background: #41444b; width: 1px; margin: 6px 7px; }}
QToolButton {{ border: 1px solid transparent; border-radius: 6px; padding: 4px; }}
QToolButton:hover {{ background: #3b3f46; border-color: #464a52; }}
QToolButton:pressed {{ background: #2f3339; }}
QToolButton:checked {{ background: rgba(76, 141, 255, 0.28); border-color: rgba(76, 141, 255, 0.55); }}
QDockWidget {{ color: {TEXT}; }}
QDockWidget::title {{ background: {WINDOW}; padding: 7px 10px; border-bottom: 1px solid {BORDER}; }}
QTabBar::tab {{ background: {WINDOW}; color: {MUTED}; padding: 6px 14px; border: none;
    border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QTabBar::tab:hover {{ color: {TEXT}; }}
QStatusBar {{ background: #24262a; border-top: 1px solid {BORDER}; color: {MUTED}; }}
QStatusBar::item {{ border: none; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 8px; }}
QStatusBar QLabel#device {{ color: {TEXT}; }}
QProgressBar {{ background: #3a3d44; border: none; border-radius: 3px; max-height: 6px; min-width: 140px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QMenuBar {{ background: {WINDOW}; padding: 2px 4px; }}
QMenuBar::item {{ padding: 4px 10px; border-radius: 4px; }}
QMenuBar::item:selected {{ background: #3b3f46; }}
QMenu {{ background: #2e3035; border: 1px solid {BORDER}; padding: 5px; }}
QMenu::item {{ padding: 5px 28px 5px 26px; border-radius: 4px; }}
QMenu::item:selected {{ background: {ACCENT}; color: white; }}
QMenu::separator {{ height: 1px; background: #41444b; margin: 5px 8px; }}
QMenu::icon {{ padding-left: 6px; }}
QListView, QTreeView {{ background: {BASE}; border: 1px solid {BORDER}; border-radius: 4px; }}
QListView::item {{ padding: 4px 6px; }}
QListView::item:selected {{ background: rgba(76, 141, 255, 0.35); color: {TEXT}; }}
QPushButton {{ background: {SURFACE}; border: 1px solid #464a52; border-radius: 5px; padding: 5px 14px; }}
QPushButton:hover {{ background: #3d4148; }}
QPushButton:default {{ border-color: {ACCENT}; }}
QComboBox, QLineEdit {{ background: {BASE}; border: 1px solid #464a52; border-radius: 4px; padding: 3px 6px; }}
QLabel#panelHeading {{ color: {MUTED}; font-weight: 600; text-transform: uppercase; }}
"""


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, value in (
        (roles.Window, WINDOW),
        (roles.WindowText, TEXT),
        (roles.Base, BASE),
        (roles.AlternateBase, "#272a2f"),
        (roles.ToolTipBase, "#34373d"),
        (roles.ToolTipText, TEXT),
        (roles.PlaceholderText, MUTED),
        (roles.Text, TEXT),
        (roles.Button, SURFACE),
        (roles.ButtonText, TEXT),
        (roles.BrightText, "#ff6b6b"),
        (roles.Highlight, ACCENT),
        (roles.HighlightedText, "#ffffff"),
        (roles.Link, ACCENT),
        (roles.Light, "#41444b"),
        (roles.Midlight, "#383b41"),
        (roles.Mid, "#2c2e33"),
        (roles.Dark, "#1c1d20"),
        (roles.Shadow, "#0e0f10"),
    ):
        palette.setColor(role, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(disabled, role, QColor("#6b7079"))
    palette.setColor(disabled, roles.Highlight, QColor("#3d4148"))
    return palette


class _EditorStyle(QProxyStyle):
    """Fusion without the dated green-tick / red-cross icons on dialog buttons."""

    def styleHint(self, hint, option=None, widget=None, return_data=None) -> int:  # noqa: N802 - Qt override
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 0
        return super().styleHint(hint, option, widget, return_data)


def apply_theme(app: QApplication) -> None:
    app.setStyle(_EditorStyle(QStyleFactory.create("Fusion")))
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLE_SHEET)


@cache
def icon(name: str) -> QIcon:
    """The icon `resources/icons/<name>.svg`, else a standard one, else an empty icon."""
    path = RESOURCES / "icons" / f"{name}.svg"
    if path.is_file():
        result = QIcon(str(path))
        # Qt's generated "disabled" look barely dims light line art on a dark theme: draw it dimmer ourselves.
        dimmed = path.read_text(encoding="utf-8").replace(ICON_COLOUR, DISABLED_ICON_COLOUR)
        for size in (16, 20, 24, 32):
            pixmap = QPixmap()
            svg = dimmed.replace('width="24" height="24"', f'width="{size}" height="{size}"').encode()
            # PySide6's stub wants the format as bytes, but only a str works at run time.
            if pixmap.loadFromData(svg, "SVG"):  # type: ignore[call-overload]
                result.addPixmap(pixmap, QIcon.Mode.Disabled)
        return result
    app = QApplication.instance()
    if name in _FALLBACK and isinstance(app, QApplication):
        return app.style().standardIcon(_FALLBACK[name])
    return QIcon()


def app_icon() -> QIcon:
    path = RESOURCES / "latent-studio.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()
