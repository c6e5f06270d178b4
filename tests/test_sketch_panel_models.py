"""The Sketch panel's Model choice (issue #16): the user's fine-tuned sketch models of the chosen subject are
offered beside its shipped generator; choosing one re-draws the picture with it through the usual generate job
(the job names the model, the core loads it), and Manage… renames and deletes it, the panel following."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from latent_studio.app.core import sketch_flow, user_models
from latent_studio.app.gui.model_choice import models_changed
from tests.conftest import running_window
from tests.test_sketch_panel import draw, finished, sketch_panel

TIMEOUT = 20_000


def make_sketch_model(name: str, subject: str = "face") -> None:
    """A user model of `subject`, as `train sketch` records one: the shipped generator with its weights moved."""
    import torch

    from latent_studio.app.core.finetune_sketch import SketchTuning
    from latent_studio.app.core.finetune_state import save_model

    tuning = SketchTuning(subject)
    model = copy.deepcopy(user_models.load(tuning.base)).float()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(1.0 + 0.3 * torch.randn(parameter.shape, generator=generator))
    user_models.model_dir(name).mkdir(parents=True)
    save_model(model, user_models.model_dir(name) / "model.safetensors")
    user_models.record(
        name, {"tool": "sketch", "subject": tuning.subject, "base": tuning.base, "config": tuning.config(model)}
    )


def names(choice) -> list[str]:
    return [choice.combo.itemData(i) for i in range(choice.combo.count())]


@pytest.fixture
def window(qtbot, monkeypatch):
    with running_window(qtbot, monkeypatch, size=(1100, 800)) as window:
        yield window


def test_choose_a_user_sketch_model_draw_rename_and_delete(qtbot, window, monkeypatch):
    make_sketch_model("my-faces")
    asked: list[tuple[str, str | None]] = []
    run_one = sketch_flow.run_one

    def spy_run_one(lines, colour, options, *rest):
        asked.append((options.subject, options.model))
        return run_one(lines, colour, options, *rest)

    monkeypatch.setattr(sketch_flow, "run_one", spy_run_one)  # the job imports it when it runs
    panel = sketch_panel(qtbot, window)
    # 1. Scene offers its shipped generator only: the user's model is a face model
    assert names(panel.model_choice) == ["sketch"] and panel.model is None
    with finished(qtbot, window, "sketch-generate"):
        draw(qtbot, panel.canvas, [(60, 60), (128, 40), (196, 60), (200, 150), (128, 220), (56, 150), (60, 60)])
    with finished(qtbot, window, "sketch-generate"):
        panel.subject_box.setCurrentIndex(panel.subject_box.findData("face"))
    assert names(panel.model_choice) == ["sketch-face", "my-faces"] and asked[-1] == ("face", None)
    assert panel.model_choice.combo.currentText() == "Shipped face model"
    shipped = panel.result.copy()
    # 2. the user's model: the job asks for it, and it draws another picture of the same lines
    with finished(qtbot, window, "sketch-generate"):
        panel.set_model("my-faces")
    assert asked[-1] == ("face", "my-faces") and panel.model == "my-faces"
    mine = panel.result.copy()
    assert mine.shape == shipped.shape and np.abs(mine.astype(int) - shipped).mean() > 2

    def settled() -> bool:
        return not window.runner.is_busy("sketch-generate") and panel._result_revision == panel._revision

    # 3. renamed with Manage…: the panel keeps drawing with it under its new name
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("portraits", True))
    panel.model_choice.ask_rename("my-faces")
    assert panel.model == "portraits" and names(panel.model_choice) == ["sketch-face", "portraits"]
    qtbot.waitUntil(settled, timeout=TIMEOUT)
    assert asked[-1] == ("face", "portraits") and np.array_equal(panel.result, mine)
    # 4. deleted (confirmed): back to the shipped face model and its picture
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with finished(qtbot, window, "sketch-generate"):
        panel.model_choice.ask_delete("portraits")
    assert panel.model is None and user_models.list_models() == [] and asked[-1] == ("face", None)
    assert np.array_equal(panel.result, shipped)
    # 5. another subject starts from its shipped generator again
    make_sketch_model("my-faces")
    models_changed()  # as a training that finished in the window says
    assert names(panel.model_choice) == ["sketch-face", "my-faces"]
    with finished(qtbot, window, "sketch-generate"):
        panel.set_model("my-faces")
    with finished(qtbot, window, "sketch-generate"):
        panel.subject_box.setCurrentIndex(panel.subject_box.findData("clothing"))
    assert panel.model is None and names(panel.model_choice) == ["sketch-clothing"]
    assert asked[-1] == ("clothing", None)
