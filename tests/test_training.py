"""The training kit (models.training) and every recipe's use of it: SIGTERM mid-run writes a checkpoint the
next run resumes and puts the previous handler back; the log lines keep their fields; the smoke flag is saved
one way and a real run ignores a smoke run's checkpoint."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from latent_studio.models.checkpoint import read_metadata, save_weights
from latent_studio.models.datapack import encode, save_blobs
from latent_studio.models.training import SIGTERM_EXIT, Budget, Checkpoint, JsonLog, SigtermFlag
from tests.conftest import utkface_pack

BASE = {"step", "seconds", "images_per_s"}
# The fields each recipe's log.jsonl lines had before the kit (their first line: step 1).
FIELDS = {
    "colorizer": BASE | {"loss", "lr"},
    "sketch": BASE | {"l1", "adv", "d"},
    "vae": BASE | {"loss", "pixel_mse", "kl"},
    "face-attributes": BASE | {"loss", "gender", "young", "age"},
}


def _photos(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(3)
    for index in range(3):
        y, x = np.mgrid[0:40, 0:56]
        pixels = np.stack([x * 4, y * 5, 255 - x * 3], axis=2) + rng.integers(0, 20, size=(40, 56, 3))
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(folder / f"p{index}.png")
    return folder


def _sketch_pack(path: Path) -> Path:
    rng = np.random.default_rng(0)
    names, blobs, kinds, owners = [], [], [], []
    for i in range(3):
        photo = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
        lines = np.where(rng.random((40, 48)) < 0.1, 255, 0).astype(np.uint8)
        names += [f"p{i}.jpg", f"l{i}.png"]
        blobs += [encode(Image.fromarray(photo)), encode(Image.fromarray(lines), "PNG")]
        kinds += [0, 1]
        owners += [i, i]
    return save_blobs(path, names, blobs, kind=np.array(kinds, np.uint8), photo_index=np.array(owners, np.int32))


def _recipe(recipe: str, tmp_path: Path) -> list[str]:
    """`python -m latent_studio.models.train` arguments for a 3-step smoke run at a tiny size."""
    out = ["--out", str(tmp_path / "run"), "--max-steps", "3", "--device", "cpu"]
    if recipe == "colorizer":
        photos = str(_photos(tmp_path / "photos"))
        return [
            "colorizer",
            "--loss",
            "l2",
            "--data",
            photos,
            "--val-data",
            photos,
            *out,
            "--batch-size",
            "2",
            "--crop",
            "32",
            "--width",
            "8",
            "--deep",
            "16",
            "--working-size",
            "64",
        ]
    if recipe == "sketch":
        pack = str(_sketch_pack(tmp_path / "sketch.npz"))
        return [
            "sketch",
            "--data",
            pack,
            "--val-data",
            pack,
            *out,
            "--batch-size",
            "2",
            "--crop",
            "32",
            "--disc-width",
            "8",
            "--config",
            '{"channels": [4, 8], "blocks": [0, 1]}',
        ]
    pack = str(utkface_pack(tmp_path / "faces.npz"))
    extra = ["--loss", "pixel"] if recipe == "vae" else []
    return [recipe, *extra, "--data", pack, *out, "--batch-size", "4", "--size", "16"]


@pytest.mark.parametrize("recipe", sorted(FIELDS))
def test_sigterm_mid_run_leaves_a_checkpoint_the_next_run_resumes_and_restores_the_handler(
    recipe, tmp_path, monkeypatch
):
    from latent_studio.models.train import main

    argv, out = _recipe(recipe, tmp_path), tmp_path / "run"
    write, sent = JsonLog.write, list[int]()

    def write_then_terminate(self, step, values):  # the first log line (step 1): a real SIGTERM to this process
        record = write(self, step, values)
        if not sent:
            sent.append(step)
            os.kill(os.getpid(), signal.SIGTERM)
        return record

    received: list[int] = []

    def previous(signum, frame):
        received.append(signum)

    monkeypatch.setattr(JsonLog, "write", write_then_terminate)
    old = signal.signal(signal.SIGTERM, previous)
    try:
        assert main(argv) == SIGTERM_EXIT
        assert signal.getsignal(signal.SIGTERM) is previous and received == []  # the recipe's flag caught it
        meta = read_metadata(out / "checkpoint.safetensors")
        assert (meta["step"], meta["smoke"]) == ("1", "True") and load_file(str(out / "checkpoint.safetensors"))
        assert not (out / "metrics.json").exists()
        lines = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
        assert lines[0]["step"] == 1 and set(lines[0]) == FIELDS[recipe]

        assert main(argv) == 0  # resumes from step 1 (colorizer and sketch: 3 more steps; the faces: up to 3)
    finally:
        signal.signal(signal.SIGTERM, old)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == (4 if recipe in ("colorizer", "sketch") else 3)
    assert read_metadata(out / "checkpoint.safetensors")["step"] == str(metrics["steps"])
    assert set(json.loads((out / "log.jsonl").read_text().splitlines()[-1])) == FIELDS[recipe]
    assert signal.getsignal(signal.SIGTERM) is old


def test_sigterm_flag_restores_the_previous_handler_even_when_the_block_raises():
    received: list[int] = []

    def previous(signum, frame):
        received.append(signum)

    old = signal.signal(signal.SIGTERM, previous)
    try:
        with pytest.raises(RuntimeError), SigtermFlag() as flag:
            os.kill(os.getpid(), signal.SIGTERM)
            assert flag.requested
            raise RuntimeError("the recipe failed")
        assert signal.getsignal(signal.SIGTERM) is previous and received == []
    finally:
        signal.signal(signal.SIGTERM, old)

    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(SigtermFlag()))  # off the main thread: no handler
    thread.start()
    thread.join()
    outcome[0].restore()
    assert signal.getsignal(signal.SIGTERM) is old


def test_checkpoint_smoke_flag_is_saved_one_way_and_a_real_run_ignores_a_smoke_checkpoint(tmp_path):
    torch.manual_seed(0)
    trained, fresh = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    Checkpoint(tmp_path, {"net": trained}, max_steps=5).save({"step": 5})
    assert read_metadata(tmp_path / "checkpoint.safetensors") == {"step": "5", "smoke": "True"}
    assert Checkpoint(tmp_path, {"net": fresh}, max_steps=0).load() == {}  # a real run starts fresh
    assert Checkpoint(tmp_path, {"net": fresh}, max_steps=500).load() == {}  # so does a long capped one
    assert not torch.equal(fresh.weight, trained.weight)
    assert Checkpoint(tmp_path, {"net": fresh}, max_steps=8).load()["step"] == "5"  # another smoke run resumes
    assert torch.equal(fresh.weight, trained.weight)

    Checkpoint(tmp_path, {"net": trained}).save({"step": 7})
    assert read_metadata(tmp_path / "checkpoint.safetensors")["smoke"] == "False"
    assert Checkpoint(tmp_path, {"net": torch.nn.Linear(3, 2)}).load()["step"] == "7"

    # The colorizer's old checkpoints: the module's own keys, smoke written "1".
    save_weights(tmp_path / "checkpoint.safetensors", trained, {"step": 2, "smoke": 1})
    assert Checkpoint(tmp_path, {"": torch.nn.Linear(3, 2)}).load() == {}
    other = torch.nn.Linear(3, 2)
    assert Checkpoint(tmp_path, {"": other}, max_steps=3).load()["step"] == "2"
    assert torch.equal(other.bias, trained.bias)
    Checkpoint(tmp_path, {"": trained}, max_steps=3).save({"step": 3})
    assert set(load_file(str(tmp_path / "checkpoint.safetensors"))) == set(trained.state_dict())


def test_budget_counts_steps_from_where_training_began_and_keeps_its_reserve():
    budget = Budget(minutes=1.0, reserve_s=45.0, max_steps=3)
    assert budget.reserve == 30.0 and 29.0 < budget.left() <= 30.0  # the reserve is at most half the budget
    budget.begin(first_step=10)
    assert not budget.over(12) and budget.over(13) and budget.steps_done(13)
    assert 0.0 <= budget.fraction() < 0.1
    assert Budget(minutes=0.0, reserve_s=0.0).over(0)
    unlimited = Budget(minutes=1.0, reserve_s=0.0)
    assert not unlimited.steps_done(10**6)


def test_json_log_writes_its_fields_then_waits_for_the_interval(tmp_path, capsys):
    log = JsonLog(tmp_path, start=0.0, every_s=3600.0, label="demo")
    log.step(1, 4, {"loss": torch.tensor(0.123456789), "lr": 2e-3})
    log.step(2, 4, {"loss": torch.tensor(1.0), "lr": 2e-3})  # not due: nothing written
    log.step(3, 4, {"loss": torch.tensor(0.5), "lr": 1e-7}, force=True)
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 3]
    assert set(lines[0]) == {"step", "seconds", "images_per_s", "loss", "lr"}
    assert lines[0]["loss"] == 0.123457 and lines[1]["lr"] == 1e-7
    assert capsys.readouterr().out.startswith("demo step=1 ")
    JsonLog(tmp_path, start=0.0, fresh=True)
    assert not (tmp_path / "log.jsonl").exists()
