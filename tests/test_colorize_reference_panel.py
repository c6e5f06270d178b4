"""The Colorize panel's Reference… button in the real window: thumbnail, the job carries the reference, the
result changes, × restores the automatic result."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

import latent_studio.app.gui.panels.colorize.panel as colorize_panel_module
from latent_studio.app.core.imageio import Picture, save_image
from latent_studio.app.gui.panels.colorize.panel import PREVIEW_KIND
from tests.test_colorize_panel import colorize_panel, gray_file, open_image, shown_pixels, wait_for, window  # noqa: F401


def colour_reference(tmp_path):
    """A vivid reference: magenta above, green below (nothing like the model's own guesses)."""
    pixels = np.zeros((60, 80, 3), dtype=np.uint8)
    pixels[:30] = (220, 40, 200)
    pixels[30:] = (30, 160, 40)
    path = tmp_path / "reference.png"
    save_image(Picture(pixels), path)
    return path


def test_reference_button_thumbnail_job_and_remove(qtbot, window, tmp_path, monkeypatch):  # noqa: F811
    open_image(qtbot, window, gray_file(tmp_path))
    panel = colorize_panel(qtbot, window)
    assert not panel.ui.reference_thumb.isVisible() and not panel.ui.reference_remove.isVisible()
    with wait_for(qtbot, window, PREVIEW_KIND):
        qtbot.mouseClick(panel.ui.auto_button, Qt.MouseButton.LeftButton)
    auto = shown_pixels(window)

    # 1. choose a reference: thumbnail and ×, the preview job carries it, the result changes
    requested = []
    original_job = colorize_panel_module.preview_job

    def recording_job(*args, **kwargs):
        requested.append(args[5] if len(args) > 5 else kwargs.get("reference"))
        return original_job(*args, **kwargs)

    monkeypatch.setattr(colorize_panel_module, "preview_job", recording_job)
    path = colour_reference(tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    with wait_for(qtbot, window, PREVIEW_KIND):
        qtbot.mouseClick(panel.ui.reference_button, Qt.MouseButton.LeftButton)
    assert panel.ui.reference_thumb.isVisible() and panel.ui.reference_remove.isVisible()
    assert not panel.ui.reference_thumb.pixmap().isNull()
    assert requested and requested[-1] is panel.reference and panel.reference.width == 80
    with_reference = shown_pixels(window)
    assert np.abs(with_reference.astype(int) - auto.astype(int)).mean() > 3.0

    # 2. remove it: back to the automatic result, no thumbnail
    with wait_for(qtbot, window, PREVIEW_KIND):
        qtbot.mouseClick(panel.ui.reference_remove, Qt.MouseButton.LeftButton)
    assert not panel.ui.reference_thumb.isVisible() and panel.reference is None
    assert requested[-1] is None
    np.testing.assert_array_equal(shown_pixels(window), auto)
