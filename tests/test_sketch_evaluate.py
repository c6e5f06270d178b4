"""The sketch evaluation's subject protocol (face / clothing against their baselines), the scene protocol's flat-colour
baseline and the subjects montage, on tiny packs (models.datapack.save_blobs) and tiny random-init generators."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from latent_studio.models.datapack import encode, save_blobs
from latent_studio.models.evaluate import main
from latent_studio.models.sketch.network import SketchUNet
from latent_studio.models.sketch.scoring import ORACLE
from latent_studio.models.sketch.subject_eval import means_of, pick

TINY = {"channels": [4, 8], "blocks": [0, 0]}


def _photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random colour photo (a few blobs), so lines and pictures are not pure noise."""
    coarse = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC))


def photo_pack(path: Path, photos: list[np.ndarray]) -> Path:
    """A photo pack, PNG blobs so constant photos stay exact."""
    names = [f"p{i}.png" for i in range(len(photos))]
    return save_blobs(path, names, [encode(Image.fromarray(p), "PNG") for p in photos])


def sketch_pack(path: Path, count: int = 3, size: tuple[int, int] = (40, 48)) -> Path:
    """A BSDS-like sketch pack: photos, each with one human line map."""
    rng = np.random.default_rng(0)
    names, blobs, kinds, owners = [], [], [], []
    for i in range(count):
        lines = np.where(rng.random(size) < 0.1, 255, 0).astype(np.uint8)
        names += [f"p{i}.jpg", f"l{i}.png"]
        blobs += [encode(Image.fromarray(_photo(rng, *size))), encode(Image.fromarray(lines), "PNG")]
        kinds += [0, 1]
        owners += [i, i]
    return save_blobs(path, names, blobs, kind=np.array(kinds, np.uint8), photo_index=np.array(owners, np.int32))


def tiny_weights(path: Path, seed: int = 0) -> Path:
    """A random-init tiny generator file with its config.json beside it, as a training run leaves them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    save_file(SketchUNet(**TINY).state_dict(), str(path))
    path.with_name("config.json").write_text(json.dumps(TINY))
    return path


@pytest.fixture
def face_packs(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    val = photo_pack(tmp_path / "faces_val.npz", [_photo(rng, 48, 48) for _ in range(3)])
    train = photo_pack(tmp_path / "faces_train.npz", [_photo(rng, 48, 48) for _ in range(4)])
    return val, train


def test_face_report_has_every_baseline_and_the_gain_in_db(tmp_path, face_packs, capsys):
    val, _train = face_packs  # the training pack is found beside the held-out one (_val -> _train)
    ours = tiny_weights(tmp_path / "ours" / "model.safetensors", seed=0)
    previous = tiny_weights(tmp_path / "previous" / "old.safetensors", seed=1)
    out, grid = tmp_path / "report.json", tmp_path / "grid.png"
    argv = ["sketch", "--subject", "face", "--data", str(val), "--weights", str(ours)]
    argv += ["--baseline-weights", str(previous), "--out", str(out), "--grid", str(grid), "--limit", "2"]
    assert main(argv) == 0

    report = json.loads(out.read_text())
    results = report["results"]
    baselines = {"scene model", "mean image", "flat mean colour", "baseline weights (old.safetensors)"}
    assert set(results) == {"ours", *baselines}
    assert all(row["items"] == 2 for row in results.values())
    assert report["subject"] == "face" and report["model"] == "sketch-face" and report["train_photos"] == 4
    for name, gain in report["gain_db"].items():
        assert gain == pytest.approx(results["ours"]["psnr"] - results[name]["psnr"], abs=1e-3)
    assert report["target"]["baseline"] == "mean image" and report["target"]["needed_db"] == 3.0
    assert report["target"]["met"] == (report["gain_db"]["mean image"] >= 3.0)
    printed = capsys.readouterr().out
    assert "| mean image |" in printed and f"ours - mean image: {report['gain_db']['mean image']:+.2f} dB" in printed
    # lines | ours | scene model | photo, one row per item (2 here, 10 at most), a header of labels
    assert Image.open(grid).size == (4 * 128, 16 + 2 * 128)


def test_mean_image_is_the_training_photos_at_the_subjects_size(tmp_path):
    """A held-out photo equal to the training photos' mean is matched exactly by the mean image and the flat
    colour (same size and crop), while a mean at another size would be off."""
    dark, light = np.full((48, 64, 3), (200, 100, 50), np.uint8), np.full((48, 64, 3), (100, 200, 150), np.uint8)
    means = means_of([dark, light, light[:40]], resolution=128)
    assert set(means.sums) == {(128, 171), (128, 205)}  # short side 128, aspect kept, one mean per shape
    expected = torch.tensor([150, 150, 100]).view(1, 3, 1, 1) / 255
    assert torch.allclose(means.mean_for(128, 171), expected.expand(1, 3, 128, 171), atol=1e-5)
    nearest = torch.tensor([100, 200, 150]).view(1, 3, 1, 1) / 255  # a shape no training photo has
    assert torch.allclose(means.mean_for(128, 200), nearest.expand(1, 3, 128, 200), atol=1e-5)
    flat = (2 * 171 * torch.tensor([150, 150, 100]) + 205 * torch.tensor([100, 200, 150])) / (2 * 171 + 205) / 255
    assert torch.allclose(means.flat().flatten(), flat, atol=1e-5)  # every training pixel counts once
    # end to end: the mean image scores as a perfect guess
    val = photo_pack(tmp_path / "v.npz", [np.full((48, 64, 3), (150, 150, 100), np.uint8)])
    train = photo_pack(tmp_path / "t.npz", [dark, light])
    out = tmp_path / "r.json"
    argv = ["sketch", "--subject", "Face", "--data", str(val), "--train-data", str(train), "--out", str(out)]
    assert main([*argv, "--weights", str(tiny_weights(tmp_path / "m.safetensors"))]) == 0
    results = json.loads(out.read_text())["results"]
    assert results["mean image"]["psnr"] > 60 and results["flat mean colour"]["psnr"] > 60
    assert results["ours"]["psnr"] < 40


def test_items_are_a_fixed_seeded_pick():
    assert pick(930, 20, 0) == pick(930, 20, 0)
    assert pick(930, 20, 0)[:10] == pick(930, 200, 0)[:10]  # the grid's ten do not depend on --limit
    assert sorted(pick(5, None, 3)) == [0, 1, 2, 3, 4] and pick(930, 20, 0) != list(range(20))


def test_scene_adds_the_flat_mean_colour_baseline(tmp_path, capsys):
    val = sketch_pack(tmp_path / "sketch_val.npz")
    train = photo_pack(tmp_path / "train.npz", [np.full((40, 48, 3), (200, 100, 50), np.uint8)] * 2)
    out = tmp_path / "scene.json"
    weights = tiny_weights(tmp_path / "m.safetensors")
    argv = ["sketch", "--data", str(val), "--train-data", str(train), "--weights", str(weights), "--out", str(out)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    results = report["results"]
    assert {"ours", "ours + hints", "sketch", "mean image", "flat mean colour"} <= set(results)
    assert results["flat mean colour"]["pairs"] == 3
    gain = report["gain_db"]["flat mean colour"]
    assert gain == pytest.approx(results["ours"]["psnr"] - results["flat mean colour"]["psnr"], abs=1e-3)
    assert report["target"] == {
        "baseline": "flat mean colour",
        "needed_db": 1.0,
        "measured_db": gain,
        "met": gain >= 1.0,
    }
    assert f"ours - flat mean colour: {gain:+.2f} dB" in capsys.readouterr().out
    # the yardstick row: each photo's own mean colour beats every flat colour on every photo, so on the mean too
    assert results[ORACLE]["pairs"] == 3 and results[ORACLE]["psnr"] > results["flat mean colour"]["psnr"]
    assert report["gain_db"][ORACLE] == pytest.approx(results["ours"]["psnr"] - results[ORACLE]["psnr"], abs=1e-3)


def test_subjects_montage_has_two_labelled_rows_per_subject(tmp_path, face_packs, capsys):
    rng = np.random.default_rng(2)
    clothing = photo_pack(tmp_path / "clothing_val.npz", [_photo(rng, 64, 48) for _ in range(2)])
    scene = sketch_pack(tmp_path / "sketch_val.npz", count=2)
    out = tmp_path / "montage.png"
    argv = ["sketch", "--subjects-montage", str(out), "--montage-data", f"scene={scene}"]
    argv += ["--montage-data", f"face={face_packs[0]}", "--montage-data", f"clothing={clothing}"]
    assert main(argv) == 0
    # scene, face, clothing: lines row and result row each; a label column, at most 3 items a row here
    assert Image.open(out).size == (150 + 3 * 128, 6 * 128)
    assert "3 subjects" in capsys.readouterr().out
