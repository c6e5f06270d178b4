"""Fine-tuning a sketch subject on a folder (issue #16): `train sketch --subject NAME`, its user model (kind sketch,
its subject recorded), resume by name, SIGTERM at a checkpoint, and `sketch --model NAME`."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from latent_studio.app.cli import main
from tests.conftest import colour_folder

TINY = ["--steps", "2", "--crop", "32", "--batch-size", "2", "--device", "cpu"]


def manifest(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "user-data" / "models" / "manifest.json").read_text())


def test_train_sketch_records_a_sketch_model_with_its_subject_and_resumes(tmp_path: Path, capsys) -> None:
    from latent_studio.app.core import finetune, user_models
    from latent_studio.models.checkpoint import read_metadata
    from latent_studio.models.manifest import sha256_of

    data = colour_folder(tmp_path / "photos", count=8)
    args = ["train", "sketch", "--subject", "face", "--data", str(data), "--name", "faces", *TINY]
    # 1. a tiny run: the subject's generator fine-tuned, recorded as a sketch model of subject face
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "held out, before -> after: PSNR" in out and "latent-studio sketch IN OUT --model faces" in out
    entry = manifest(tmp_path)["models"]["faces"]
    model = tmp_path / "user-data" / "models" / "faces" / "model.safetensors"
    assert (entry["tool"], entry["subject"], entry["base"], entry["steps"]) == ("sketch", "face", "sketch-face", 2)
    assert entry["sha256"] == sha256_of(model) and entry["data"] == str(data.resolve())
    assert entry["command"].startswith("latent-studio train sketch --subject face --data")
    assert set(entry["metrics"]) == {"held_out_before", "held_out_after"}
    # the same held-out photos as the colorizer's rule picks (never trained on)
    assert entry["held_out_photos"] == len(finetune.read_folder(data).held_out) and entry["training_photos"] == 7
    assert user_models.user_file("faces", "sketch").subject == "face"
    # 2. the same name resumes from the checkpoint
    checkpoint = model.with_name("checkpoint.safetensors")
    assert read_metadata(checkpoint)["step"] == "2" and read_metadata(checkpoint)["base"] == "sketch-face"
    assert main(args) == 0
    assert "faces: continuing from its checkpoint" in capsys.readouterr().err
    assert read_metadata(checkpoint)["step"] == "4" and manifest(tmp_path)["models"]["faces"]["steps"] == 4
    # 3. train --list shows it with its tool; the colorizer's model choice does not offer it
    assert main(["train", "--list"]) == 0
    assert capsys.readouterr().out.startswith("faces\tsketch:face\t4 steps\theld out PSNR")
    assert user_models.list_models("colorizer") == []


def test_sigterm_stops_at_a_checkpoint(tmp_path: Path, capsys, monkeypatch) -> None:
    from latent_studio.app.core import finetune_sketch, user_models
    from latent_studio.models.checkpoint import read_metadata

    data = colour_folder(tmp_path / "photos", count=6)
    step = finetune_sketch.SketchTuning.step
    calls = []

    def step_then_term(self, *args):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill` would, mid-run
        return step(self, *args)

    monkeypatch.setattr(finetune_sketch.SketchTuning, "step", step_then_term)
    previous = signal.getsignal(signal.SIGTERM)
    args = ["train", "sketch", "--data", str(data), "--name", "scenes", *TINY]
    args[args.index("--steps") + 1] = "50"
    assert main(args) == 130
    assert "scenes: stopped; the checkpoint is saved" in capsys.readouterr().err
    checkpoint = user_models.model_dir("scenes") / "checkpoint.safetensors"
    assert 1 <= int(read_metadata(checkpoint)["step"]) <= 3 and read_metadata(checkpoint)["base"] == "sketch"
    assert not user_models.is_user_model("scenes") and not checkpoint.with_name("model.safetensors").exists()
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == ["checkpoint.safetensors"]
    assert signal.getsignal(signal.SIGTERM) == previous  # the handler is the run's only


def test_sketch_model_draws_with_the_user_model_and_its_subject(tmp_path: Path, capsys, monkeypatch) -> None:
    import numpy as np
    from PIL import Image

    from latent_studio.app.core import finetune_sketch, sketch

    monkeypatch.setattr(finetune_sketch.SketchTuning, "lr", 5e-2)  # two steps that visibly move the weights
    data = colour_folder(tmp_path / "photos", count=6)
    args = ["train", "sketch", "--subject", "face", "--data", str(data), "--name", "faces", *TINY]
    assert main(args) == 0
    drawing = np.full((64, 48), 255, np.uint8)
    drawing[10:50, 20] = drawing[30, 5:40] = 0
    Image.fromarray(drawing).save(tmp_path / "lines.png")
    loaded: list[str] = []
    load_model = sketch._load_model
    monkeypatch.setattr(sketch, "_load_model", lambda r, s, d: loaded.append(s.model) or load_model(r, s, d))
    mine, shipped = tmp_path / "mine.png", tmp_path / "shipped.png"
    assert main(["sketch", str(tmp_path / "lines.png"), str(mine), "--model", "faces", "--device", "cpu"]) == 0
    assert main(["sketch", str(tmp_path / "lines.png"), str(shipped), "--subject", "face", "--device", "cpu"]) == 0
    # the same subject (size and line style) is taken from the record, drawn by the user's weights
    same = ["sketch", str(tmp_path / "lines.png"), str(tmp_path / "same.png"), "--model", "faces", "--subject", "face"]
    assert main(same) == 0
    assert loaded == ["faces", "sketch-face", "faces"]
    assert not np.array_equal(np.asarray(Image.open(mine)), np.asarray(Image.open(shipped)))
    assert np.array_equal(np.asarray(Image.open(mine)), np.asarray(Image.open(tmp_path / "same.png")))
