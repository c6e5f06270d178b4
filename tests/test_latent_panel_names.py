"""Slider names: each slider shows its shipped label (a PCA direction's says what it correlates with), the user
renames it (double-click or the context menu), the name survives reopening the window, Reset Names restores
the shipped ones."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QInputDialog

from latent_studio.app.gui.panels.latent.names import KEY, SliderNames
from tests.conftest import running_window
from tests.test_latent_panel import latent_panel, needs_vae, switch_mode, wait_for


def test_slider_names_round_trip_through_the_settings(tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    names = SliderNames(settings)
    assert names.shown("pc2", "pc2 · light from the left") == "pc2 · light from the left"
    names.rename("pc2", "  my   light ")
    assert SliderNames(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)).shown("pc2") == "my light"
    names.rename("pc2", "   ")  # empty: the shipped name again
    assert names.shown("pc2", "shipped") == "shipped" and names.names == {}
    settings.setValue(KEY, "{not json")  # a damaged entry: the shipped names, no error
    assert SliderNames(settings).names == {}


def _label(panel, name: str) -> str:
    return panel.ui.directions.labels[name].text()


@needs_vae
def test_rename_a_slider_persists_across_windows_and_reset_restores(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("LATENT_STUDIO_DIRECTIONS", str(tmp_path / "directions"))
    with running_window(qtbot, monkeypatch) as window:
        panel = latent_panel(qtbot, window)
        sliders = panel.ui.directions
        shipped = {name: _label(panel, name) for name in sliders.labels}
        pca = [n for n, d in sliders._directions.items() if d.kind == "pca"]
        assert pca and all(shipped[n] == (sliders._directions[n].label or n) for n in shipped)
        assert all(shipped[n].startswith(f"{n} · ") for n in pca)  # the shipped asset names every component
        assert "correlation" in sliders.labels[pca[0]].toolTip()
        switch_mode(qtbot, panel, "random")  # the sliders (and their labels) take input once a face is shown
        with wait_for(qtbot, window, "latent-sample", "latent-preview"):
            qtbot.mouseClick(panel.ui.sample_button, Qt.MouseButton.LeftButton)
        assert sliders.isEnabled()
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Head turn", True))
        qtbot.mouseDClick(sliders.labels[pca[1]], Qt.MouseButton.LeftButton)
        assert _label(panel, pca[1]) == "Head turn" and "Head turn" in sliders.sliders[pca[1]].toolTip()
        sliders.rename("young", "Younger")
    with running_window(qtbot, monkeypatch) as window:  # a new window, a new panel: the names are kept
        panel = latent_panel(qtbot, window)
        assert _label(panel, pca[1]) == "Head turn" and _label(panel, "young") == "Younger"
        assert _label(panel, pca[0]) == shipped[pca[0]]
        panel.ui.directions.reset_names()
        assert {name: _label(panel, name) for name in shipped} == shipped
    with running_window(qtbot, monkeypatch) as window:  # the reset is kept too
        panel = latent_panel(qtbot, window)
        assert {name: _label(panel, name) for name in shipped} == shipped


@pytest.mark.parametrize("answer", [("", True), ("ignored", False)])
@needs_vae
def test_an_empty_or_cancelled_rename_keeps_or_restores_the_shipped_name(qtbot, monkeypatch, tmp_path, answer):
    monkeypatch.setenv("LATENT_STUDIO_DIRECTIONS", str(tmp_path / "directions"))
    with running_window(qtbot, monkeypatch) as window:
        panel = latent_panel(qtbot, window)
        sliders = panel.ui.directions
        shipped = _label(panel, "female")
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: answer)
        sliders.ask_rename("female")
        assert _label(panel, "female") == shipped and sliders.names.names == {}
