"""The window at its smallest supported size, 900x600: every tool tab fits, nothing overlaps, nothing is squeezed.

At 900x600 the Colorize panel once needed more height than its dock had: the main window's layout gave up and
the panel drew over the Info/History dock below it. Now every panel scrolls inside its dock.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from tests.conftest import running_window

SMALLEST = (900, 600)
#: The least a dock's visible panel may keep (a slider row, a button and a line of text).
USABLE_HEIGHT, USABLE_WIDTH = 100, 250


def window_rect(window: QMainWindow, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def on_screen(window: QMainWindow, widget: QWidget) -> bool:
    """Shown and inside the window (a tabbed dock's hidden panels stay "visible", parked off to the left)."""
    return widget.isVisible() and window_rect(window, widget).intersects(window.rect())


def layout_problems(window: QMainWindow, root: QWidget, recurse: bool = True) -> list[str]:
    """Overlapping siblings and widgets squeezed below their minimum size, from `root` down (or only among
    `root`'s children)."""
    problems = []
    children = [
        child
        for child in root.findChildren(QWidget, options=_direct())
        if on_screen(window, child) and not _ignored(root, child)
    ]
    for index, first in enumerate(children):
        for second in children[index + 1 :]:
            a, b = window_rect(window, first), window_rect(window, second)
            if a.intersects(b):
                problems.append(f"{_name(first)} {a.getRect()} overlaps {_name(second)} {b.getRect()}")
    for child in children:
        hint = child.minimumSizeHint().expandedTo(child.minimumSize())
        size = child.size()  # not child.width(): the sketch canvas has a `width` attribute (its pen's)
        if hint.isValid() and (size.width() < hint.width() or size.height() < hint.height()):
            problems.append(
                f"{_name(child)} is {size.width()}x{size.height()}, below its minimum {hint.width()}x{hint.height()}"
            )
        if recurse:
            problems += layout_problems(window, child)
    return problems


def _ignored(parent: QWidget, child: QWidget) -> bool:
    """Qt's own insides (a spin box's line edit) and the empty title bar of a tabbed dock."""
    return child.objectName().startswith("qt_") or (
        isinstance(parent, QDockWidget) and child is parent.titleBarWidget()
    )


def _direct():
    from PySide6.QtCore import Qt

    return Qt.FindChildOption.FindDirectChildrenOnly


def _name(widget: QWidget) -> str:
    label = widget.objectName() or widget.windowTitle() or getattr(widget, "text", lambda: "")()
    parent = widget.parentWidget()
    return f"{type(widget).__name__}({label!r}) in {type(parent).__name__}({parent.objectName()!r})"


@pytest.fixture
def small_window(qtbot, monkeypatch):
    with running_window(qtbot, monkeypatch, size=SMALLEST) as window:
        yield window


def test_every_tool_tab_fits_900x600_without_overlaps(qtbot, small_window):
    window = small_window
    assert (window.width(), window.height()) == SMALLEST, "the window cannot shrink to 900x600"
    tools = [(dock, panel) for dock, panel in zip(window.docks, window.panels, strict=True) if panel.is_tool]
    assert len(tools) >= 3
    for dock, panel in tools:
        dock.raise_()
        qtbot.waitUntil(lambda panel=panel: panel.is_shown)
        qtbot.wait(10)  # let the dock layout settle
        shown = [d for d, p in zip(window.docks, window.panels, strict=True) if p.is_shown]
        assert dock in shown and len(shown) == 2  # the tool, and Info or History below it
        # the window's parts (canvas, docks, their tab bars, toolbar, status bar) side by side; each shown dock
        # through and through (the status bar's own labels may elide a long job name at this width)
        problems = layout_problems(window, window, recurse=False)
        for shown_dock in shown:
            problems += layout_problems(window, shown_dock)
        assert not problems, f"{panel.title} tab: " + "; ".join(problems)
        for shown_dock in shown:
            viewport = window_rect(window, shown_dock.widget())
            assert viewport.height() >= USABLE_HEIGHT and viewport.width() >= USABLE_WIDTH, shown_dock.windowTitle()
            assert window.rect().contains(viewport), f"{shown_dock.windowTitle()} reaches outside the window"
