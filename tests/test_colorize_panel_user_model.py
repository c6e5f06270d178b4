"""The Colorize panel's colour suggestions come from the chosen model (issue #16 follow-up): with a user's own
colorizer chosen in the Model combo, a new hint starts with *that* model's top suggestion and the palette shows
its colours, as `app.core.colorize.suggest_colors` gives them for that model (before, the suggestion job always
ran the shipped colorizer, whatever the combo said)."""

from __future__ import annotations

import copy

import pytest
import torch

from latent_studio.app.core.colorize import Hint, suggest_colors
from latent_studio.app.gui.panels.colorize.layout import PALETTE_SIZE
from latent_studio.app.gui.panels.colorize.panel import PREVIEW_KIND, SUGGEST_KIND
from tests.conftest import running_window
from tests.test_colorize_panel import colorize_panel, gray_file, open_image, wait_for

WORKING_SIZE = 256


def blue_leaning_model(name: str) -> None:
    """A user colorizer `name` in the test's user data folder: the shipped weights with the head's bias tilted
    towards blue bins (+0.3 logit per unit of -b), so its likeliest colours differ from the shipped model's."""
    from latent_studio.app.core import user_models
    from latent_studio.app.core.finetune_state import save_model

    model = copy.deepcopy(user_models.load("colorizer"))  # the registry's cached copy stays untouched
    with torch.no_grad():
        model.head.bias += 0.3 * -model.ab_bins[:, 1].to(model.head.bias.dtype)
    user_models.model_dir(name).mkdir(parents=True)
    save_model(model, user_models.model_dir(name) / "model.safetensors")
    user_models.record(name, {"tool": "colorizer", "base": "colorizer", "config": model.config()})


@pytest.fixture
def window(qtbot, monkeypatch):
    blue_leaning_model("bluish")  # before the window: its Model combo lists it
    with running_window(qtbot, monkeypatch, size=(1000, 700)) as window:
        window.preferences.working_size = WORKING_SIZE
        yield window


def place_hint(qtbot, window, panel, x: int, y: int) -> None:
    from PySide6.QtCore import Qt

    with wait_for(qtbot, window, SUGGEST_KIND, PREVIEW_KIND):
        window.canvas.clicked.emit(float(x), float(y), Qt.MouseButton.LeftButton)
        window.canvas.released.emit(float(x), float(y), Qt.MouseButton.LeftButton)


def test_suggestions_follow_the_chosen_user_model(qtbot, window, tmp_path):
    open_image(qtbot, window, gray_file(tmp_path))
    panel = colorize_panel(qtbot, window)
    source, settings = window.document.picture, panel.context.settings
    choice = panel.ui.model_choice
    assert choice.name == "colorizer" and choice.combo.findData("bluish") >= 0

    def core(x: int, y: int, model: str, others=()) -> list:
        return suggest_colors(source, x, y, others, PALETTE_SIZE, WORKING_SIZE, settings, model_name=model)

    # 1. the shipped model: a hint on the ground starts with its top suggestion
    place_hint(qtbot, window, panel, 30, 54)
    shipped = core(30, 54, "colorizer")
    assert panel.ui.palette.colours == shipped and panel.hints.points[0].rgb == shipped[0]

    # 2. choosing the user's model re-asks for the selected hint: the palette shows its colours now
    with wait_for(qtbot, window, SUGGEST_KIND, PREVIEW_KIND):
        choice.set_name("bluish")
    mine = core(30, 54, "bluish")
    assert mine != shipped and panel.ui.palette.colours == mine
    assert panel.hints.points[0].rgb == shipped[0]  # a colour already given stays until the user picks another

    # 3. a new hint takes the user's model's top suggestion (given the first hint), not the shipped one's
    place_hint(qtbot, window, panel, 70, 15)
    first = panel.hints.points[0]
    others = [Hint(first.x, first.y, first.rgb, first.path)]
    mine, shipped = core(70, 15, "bluish", others), core(70, 15, "colorizer", others)
    assert mine[0] != shipped[0]
    assert panel.ui.palette.colours == mine and panel.hints.points[1].rgb == mine[0]
