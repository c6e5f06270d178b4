"""Fine-tuning the colorizer on a folder (issue #16): the CLI's tiny run, the manifest entry, resume, and using
the user model with colorize --model / batch colorize --model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from latent_studio.app.cli import main
from tests.conftest import colour_folder

TINY = ["--steps", "2", "--crop", "32", "--batch-size", "2", "--device", "cpu"]


def manifest(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "user-data" / "models" / "manifest.json").read_text())


def test_train_resume_and_use_the_user_model(tmp_path: Path, capsys) -> None:
    from latent_studio.models.checkpoint import read_metadata
    from latent_studio.models.manifest import sha256_of

    data = colour_folder(tmp_path / "photos")
    args = ["train", "colorizer", "--data", str(data), "--name", "family", *TINY]
    # 1. a tiny run: model file, manifest entry with sha256, data folder, command, held-out metrics
    assert main(args) == 0
    entry = manifest(tmp_path)["models"]["family"]
    model = tmp_path / "user-data" / "models" / "family" / "model.safetensors"
    assert entry["sha256"] == sha256_of(model) and entry["base"] == "colorizer" and entry["steps"] == 2
    assert entry["data"] == str(data.resolve()) and entry["command"].startswith("latent-studio train colorizer --data")
    assert set(entry["metrics"]) == {"held_out_before", "held_out_after"}
    assert entry["training_photos"] + entry["held_out_photos"] == 12
    assert "held out, before -> after: PSNR" in capsys.readouterr().out
    # 2. the same name resumes: the step count goes on, the optimizer's moments are in the checkpoint
    checkpoint = model.with_name("checkpoint.safetensors")
    assert read_metadata(checkpoint)["step"] == "2"
    assert main(args) == 0
    assert read_metadata(checkpoint)["step"] == "4" and manifest(tmp_path)["models"]["family"]["steps"] == 4
    from safetensors.torch import load_file

    assert any(key.startswith("optim.") and key.endswith("exp_avg_sq") for key in load_file(str(checkpoint)))
    # 3. colorize --model and batch colorize --model use it (not the shipped colorizer)
    out, shipped = tmp_path / "mine.png", tmp_path / "shipped.png"
    assert main(["colorize", str(data / "photo00.png"), str(out), "--model", "family", "--device", "cpu"]) == 0
    assert main(["colorize", str(data / "photo00.png"), str(shipped), "--device", "cpu"]) == 0
    assert not np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(shipped)))
    assert (
        main(
            [
                "batch",
                "colorize",
                str(data),
                str(tmp_path / "out"),
                "--model",
                "family",
                "--device",
                "cpu",
                "--no-progress",
            ]
        )
        == 0
    )
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "photo00.png")), np.asarray(Image.open(out)))


def test_held_out_split_is_fixed_by_name() -> None:
    from latent_studio.app.core.finetune import is_held_out

    names = [f"img_{i}.jpg" for i in range(1000)]
    held = [n for n in names if is_held_out(n)]
    assert 70 <= len(held) <= 130 and held == [n for n in names if is_held_out(n)]


def test_list_rename_delete_and_a_corrupt_file(tmp_path: Path, capsys) -> None:
    from latent_studio.app.core import user_models

    data = colour_folder(tmp_path / "photos")
    assert main(["train", "colorizer", "--data", str(data), "--name", "family", *TINY]) == 0
    assert main(["train", "--rename", "family", "archive"]) == 0
    assert user_models.list_models() == ["archive"]
    user_models.load("archive")  # still verified against its sha256 under the new name
    capsys.readouterr()
    assert main(["train", "--list"]) == 0
    assert capsys.readouterr().out.startswith("archive\tcolorizer")
    model = tmp_path / "user-data" / "models" / "archive" / "model.safetensors"
    model.write_bytes(model.read_bytes()[:-10] + b"0123456789")
    from latent_studio.models.registry import default_registry

    default_registry().clear()  # as a new process would: nothing cached from the sound file
    assert main(["colorize", str(data / "photo00.png"), str(tmp_path / "x.png"), "--model", "archive"]) == 2
    assert "is corrupt" in capsys.readouterr().err and not (tmp_path / "x.png").exists()
    assert main(["train", "--delete", "archive"]) == 0
    assert user_models.list_models() == [] and not user_models.model_dir("archive").exists()


def test_periodic_held_out_check_is_the_quick_subset_and_the_final_one_all(tmp_path: Path, monkeypatch) -> None:
    """The check during training measures QUICK_EVAL held-out photos against their own "before"; the final
    before/after (manifest, result) measures every held-out photo."""
    from latent_studio.app.core import finetune

    monkeypatch.setattr(finetune, "QUICK_EVAL", 1)
    data = colour_folder(tmp_path / "photos", count=30, size=(40, 32))
    held = finetune.read_folder(data).held_out_names
    assert len(held) >= 2
    updates: list = []
    request = finetune.FinetuneRequest(data, "quick", steps=2, crop=32, batch_size=2, device="cpu", eval_seconds=0.0)
    result = finetune.run(request, on_update=updates.append)
    checks = [u.held_out for u in updates if u.held_out]
    assert [c["after"]["photos"] for c in checks[:-1]] == [1, 1] and checks[0]["before"]["photos"] == 1
    assert checks[-1]["after"]["photos"] == len(held) == result.before["photos"] == result.after["photos"]


def test_training_moves_the_weights_not_only_the_batch_statistics(tmp_path: Path) -> None:
    """The learning rate reaches the optimizer: the fine-tuned conv weights differ from the shipped ones (with a
    zero learning rate only BatchNorm's running statistics changed, and the outputs still differed)."""
    from safetensors.torch import load_file

    from latent_studio.app.core import finetune, user_models

    data = colour_folder(tmp_path / "photos", count=6)
    request = finetune.FinetuneRequest(data, "moved", steps=1, crop=32, batch_size=2, device="cpu")
    result = finetune.run(request)
    assert result.model_path is not None
    tuned = load_file(str(result.model_path))
    shipped = user_models.load("colorizer").state_dict()
    weights = [k for k, v in tuned.items() if v.ndim == 4]  # conv kernels
    assert weights and all(k in shipped for k in weights)
    assert any(not (tuned[k] == shipped[k].float()).all() for k in weights)


def test_the_strip_shows_from_the_first_step_before_any_held_out_check(tmp_path: Path) -> None:
    """The window's before/after strip is filled by the first update (the "before" pictures), not only after the
    first periodic check a minute later (it stayed empty for short runs)."""
    from latent_studio.app.core import finetune

    data = colour_folder(tmp_path / "photos", count=12, size=(40, 32))
    updates: list = []
    request = finetune.FinetuneRequest(data, "first", steps=2, crop=32, batch_size=2, device="cpu", eval_seconds=1e9)
    finetune.run(request, on_update=updates.append)
    assert updates[0].step == 1 and updates[0].held_out is None and updates[0].strip
    assert all(len(row) == 4 for row in updates[0].strip)
