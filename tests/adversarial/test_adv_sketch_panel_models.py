"""Bad models for the Sketch panel's Model choice: the generate job names a user model, and one that is gone (deleted
with `train --delete` while the window shows it), a colorizer, or a damaged file is the job's one line, raised
before any drawing; nothing is written."""

from __future__ import annotations

import numpy as np
import pytest

from latent_studio.app.core import user_models
from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.jobs import Progress
from latent_studio.app.gui.panels.sketch.jobs import generate_job
from latent_studio.models.errors import LatentStudioError

CPU = ComputeSettings(device="cpu")


def fake_model(name: str, facts: dict, data: bytes = b"not a model") -> None:
    user_models.model_dir(name).mkdir(parents=True)
    (user_models.model_dir(name) / "model.safetensors").write_bytes(data)
    user_models.record(name, {"config": {}, **facts})


def draw(model: str, subject: str = "face") -> np.ndarray:
    lines = np.full((64, 64), 255, np.uint8)
    lines[10:50, 30] = 0
    return generate_job(lines, None, CPU, subject, model)(Progress())


def test_a_missing_model_a_colorizer_and_a_damaged_file_are_one_line() -> None:
    with pytest.raises(LatentStudioError) as missing:
        draw("gone")
    assert str(missing.value) == "There is no user model called 'gone' (yours: none yet)."
    fake_model("family", {"tool": "colorizer", "base": "colorizer"})
    with pytest.raises(LatentStudioError) as colorizer:
        draw("family")
    assert str(colorizer.value) == (
        "The user model 'family' is a colorizer model, not a sketch model; use it with `latent-studio colorize`."
    )
    fake_model("faces", {"tool": "sketch", "subject": "face", "base": "sketch-face"})
    path = user_models.model_dir("faces") / "model.safetensors"
    path.write_bytes(b"changed after it was recorded")
    with pytest.raises(LatentStudioError) as damaged:
        draw("faces")
    assert str(damaged.value).startswith(f"Weights file {path} is corrupt: its sha256 is ")
    assert "\n" not in str(damaged.value)
    assert sorted(p.name for p in user_models.models_dir().rglob("*") if p.is_file()) == [
        "manifest.json",
        "model.safetensors",
        "model.safetensors",
    ]
