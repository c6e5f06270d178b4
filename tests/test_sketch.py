"""The sketch tool: generator logic on a tiny random net, the line extractor, training pieces, CLI end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.imageio import Picture, load_image, save_image
from latent_studio.app.core.jobs import CancelToken, Progress
from latent_studio.app.core.sketch import SketchSettings, photo_to_sketch, sketch_to_image
from latent_studio.models.errors import LatentStudioError
from latent_studio.models.manifest import read_manifest, sha256_of, weights_dir, write_manifest
from latent_studio.models.registry import ModelSpec, Registry
from latent_studio.models.sketch.network import SketchUNet
from latent_studio.models.sketch.spec import DEFAULT_CONFIG, SPEC

TINY = {"channels": [4, 8], "blocks": [0, 1]}
CPU = SketchSettings(compute=ComputeSettings(device="cpu"), resolution=64)
SHIPPED = SPEC.weights_file in read_manifest()["files"] and (weights_dir() / SPEC.weights_file).is_file()


@pytest.fixture()
def registry(tmp_path):
    """A registry folder holding a tiny random-init sketch generator under the real spec's name."""
    torch.manual_seed(0)
    spec = ModelSpec(**{**SPEC.__dict__, "default_config": TINY})
    save_file(SketchUNet(**TINY).state_dict(), tmp_path / spec.weights_file)
    entry = {"sha256": sha256_of(tmp_path / spec.weights_file), "config": TINY}
    write_manifest({"format": 1, "files": {spec.weights_file: entry}}, tmp_path)
    return Registry(tmp_path, {"sketch": spec})


def rectangle_sketch(height: int = 50, width: int = 70) -> np.ndarray:
    lines = np.full((height, width), 255, np.uint8)
    lines[10, 10:60] = lines[40, 10:60] = 0
    lines[10:41, 10] = lines[10:41, 59] = 0
    return lines


# --- network -------------------------------------------------------------------------------------------


def test_default_generator_fits_the_size_and_speed_budget():
    from torch.utils.flop_counter import FlopCounterMode

    model = SketchUNet(**DEFAULT_CONFIG).eval()
    assert sum(p.numel() for p in model.parameters()) * 4 < 12 * 2**20
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        out = model(torch.rand(1, 5, 256, 256))
    assert out.shape == (1, 3, 256, 256)
    assert counter.get_total_flops() < 3e9


def test_generator_refuses_sizes_off_its_stride():
    with pytest.raises(ValueError, match="multiples of 4"):
        SketchUNet(**TINY)(torch.rand(1, 5, 30, 32))


# --- sketch -> image -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(50, 70), (33, 17), (1, 5)])
def test_output_matches_the_canvas_for_any_size(registry, shape):
    lines = np.full(shape, 255, np.uint8)
    lines[: shape[0] // 2] = 0
    out = sketch_to_image(lines, None, CPU, registry=registry)
    assert out.shape == (*shape, 3) and out.dtype == np.uint8


def test_canvas_size_mode_and_colour_strokes_are_accepted(registry):
    lines = rectangle_sketch()
    strokes = np.zeros((*lines.shape, 4), np.uint8)
    strokes[20:30, 20:40] = (200, 30, 30, 255)
    settings = SketchSettings(compute=ComputeSettings(device="cpu"), resolution=None)
    plain = sketch_to_image(lines, None, settings, registry=registry)
    hinted = sketch_to_image(lines, strokes, settings, registry=registry)
    assert hinted.shape == plain.shape == (50, 70, 3)
    assert not np.array_equal(plain, hinted)  # the hint channels reach the network
    assert np.isfinite(hinted.astype(np.float32)).all()


def test_rgba_sketch_is_read_over_white(registry):
    rgba = np.zeros((40, 40, 4), np.uint8)  # fully transparent = blank paper
    blank = np.full((40, 40), 255, np.uint8)
    a = sketch_to_image(rgba, None, CPU, registry=registry)
    b = sketch_to_image(blank, None, CPU, registry=registry)
    assert np.array_equal(a, b)


def test_bad_inputs_are_user_errors(registry):
    with pytest.raises(LatentStudioError, match="same size"):
        sketch_to_image(rectangle_sketch(), np.zeros((10, 10, 4), np.uint8), CPU, registry=registry)
    with pytest.raises(LatentStudioError, match="RGBA"):
        sketch_to_image(rectangle_sketch(), np.zeros((50, 70, 3), np.uint8), CPU, registry=registry)
    with pytest.raises(LatentStudioError, match="HxW"):
        sketch_to_image(np.zeros((4, 4, 2), np.uint8), None, CPU, registry=registry)


def test_a_cancelled_job_stops(registry):
    token = CancelToken()
    token.cancel()
    with pytest.raises(LatentStudioError, match="cancelled"):
        sketch_to_image(rectangle_sketch(), None, CPU, Progress(token=token), registry=registry)


# --- photo -> sketch (the extractor) --------------------------------------------------------------------


def test_extractor_draws_a_rectangle_s_edges_and_leaves_the_rest_white():
    photo = np.full((64, 80, 3), 230, np.uint8)
    photo[16:48, 20:60] = (40, 60, 160)
    lines = photo_to_sketch(photo)
    assert lines.shape == (64, 80) and lines.dtype == np.uint8
    ink = lines < 128
    near_edge = np.zeros_like(ink)
    near_edge[12:53, 16:65] = True
    near_edge[21:43, 25:55] = False
    assert ink[near_edge].mean() > 0.08  # the outline is drawn (a 1-2 px line in a 9 px band)
    assert not ink[~near_edge].any()  # nothing away from it
    assert ink.mean() < 0.2  # mostly white paper
    for row, col in [(16, 40), (47, 40), (32, 20), (32, 59)]:  # every side has ink within 2 px
        assert ink[row - 2 : row + 3, col - 2 : col + 3].any()


def test_extractor_accepts_pictures_with_alpha_and_16_bits():
    pixels = np.zeros((32, 32, 4), np.uint16)
    pixels[..., 3] = 65535
    pixels[8:24, 8:24, :3] = 65535
    lines = photo_to_sketch(Picture(pixels))
    assert lines.shape == (32, 32) and (lines < 128).any() and (lines == 255).mean() > 0.5


def test_flat_photo_gives_blank_paper():
    assert (photo_to_sketch(np.full((20, 30, 3), 90, np.uint8)) == 255).all()


# --- training pieces -------------------------------------------------------------------------------------


def test_augmentations_and_hints_keep_shapes_and_ranges():
    from latent_studio.models.sketch.hints import simulate_strokes
    from latent_studio.models.sketch.lines import augment_ink, canny_lines

    torch.manual_seed(0)
    rgb = torch.rand(3, 3, 32, 32)
    ink = canny_lines(rgb, density=torch.tensor([0.05, 0.1, 0.2]))
    aug = augment_ink(ink)
    hint, mask = simulate_strokes(rgb, p_none=0.0)
    assert aug.shape == ink.shape == (3, 1, 32, 32) and aug.min() >= 0 and aug.max() <= 1
    assert hint.shape == (3, 3, 32, 32) and mask.shape == (3, 1, 32, 32)
    assert (mask.flatten(1).sum(1) > 0).all()
    assert (hint * (1 - mask)).abs().max() == 0


def test_training_recipe_runs_and_resumes(tmp_path):
    from PIL import Image

    from latent_studio.models.datapack import encode, save_blobs
    from latent_studio.models.sketch import train

    rng = np.random.default_rng(0)
    names, blobs, kinds, owners = [], [], [], []
    for i in range(3):
        photo = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
        lines = np.where(rng.random((40, 48)) < 0.1, 255, 0).astype(np.uint8)
        for name, blob, kind in (
            (f"p{i}.jpg", encode(Image.fromarray(photo)), 0),
            (f"l{i}.png", encode(Image.fromarray(lines), "PNG"), 1),
        ):
            names.append(name), blobs.append(blob), kinds.append(kind), owners.append(i)
    pack = save_blobs(
        tmp_path / "pack.npz", names, blobs, kind=np.array(kinds, np.uint8), photo_index=np.array(owners, np.int32)
    )
    out = tmp_path / "run"
    argv = [
        "--data",
        str(pack),
        "--val-data",
        str(pack),
        "--out",
        str(out),
        "--max-steps",
        "2",
        "--batch-size",
        "2",
        "--crop",
        "32",
        "--device",
        "cpu",
        "--disc-width",
        "8",
        "--config",
        '{"channels": [4, 8], "blocks": [0, 1]}',
    ]
    assert train.main(argv) == 0
    for name in (
        "model.safetensors",
        "checkpoint.safetensors",
        "config.json",
        "metrics.json",
        "samples.png",
        "log.jsonl",
    ):
        assert (out / name).is_file()
    assert train.main(argv) == 0
    import json

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 4 and set(metrics["validation"]) >= {"ours", "sketch", "mean image"}


# --- CLI ------------------------------------------------------------------------------------------------


@pytest.fixture()
def cli_registry(registry, monkeypatch):
    import latent_studio.models.registry

    monkeypatch.setattr(latent_studio.models.registry, "_DEFAULT", registry)
    return registry


def test_cli_sketch_to_image_with_colours(cli_registry, tmp_path):
    from latent_studio.app.cli import main

    sketch = tmp_path / "sketch.png"
    colours = tmp_path / "colours.png"
    out = tmp_path / "out.png"
    save_image(Picture(np.repeat(rectangle_sketch()[..., None], 3, axis=2)), sketch)
    strokes = np.full((50, 70, 3), 255, np.uint8)
    strokes[20:30, 20:40] = (30, 160, 30)
    save_image(Picture(strokes), colours)
    assert (
        main(["sketch", str(sketch), str(out), "--colors", str(colours), "--device", "cpu", "--resolution", "64"]) == 0
    )
    assert load_image(out).pixels.shape == (50, 70, 3)


def test_cli_extract_writes_a_gray_drawing(tmp_path):
    from latent_studio.app.cli import main

    photo = np.full((40, 50, 3), 220, np.uint8)
    photo[10:30, 10:40] = 20
    save_image(Picture(photo), tmp_path / "photo.png")
    assert main(["sketch", "--extract", str(tmp_path / "photo.png"), str(tmp_path / "lines.png")]) == 0
    lines = load_image(tmp_path / "lines.png")
    assert lines.is_gray and (lines.pixels < 128).any() and (lines.pixels == 255).mean() > 0.5


def test_cli_reports_missing_input_as_usage_error(tmp_path, capsys):
    from latent_studio.app.cli import main

    assert main(["sketch", str(tmp_path / "nope.png"), str(tmp_path / "out.png")]) == 2
    assert "does not exist" in capsys.readouterr().err


# --- the shipped model ----------------------------------------------------------------------------------


@pytest.mark.skipif(not SHIPPED, reason="sketch-v1.safetensors is not shipped yet")
def test_shipped_model_draws_a_plausible_picture():
    out = sketch_to_image(rectangle_sketch(96, 128), None, SketchSettings(compute=ComputeSettings(device="cpu")))
    assert out.shape == (96, 128, 3)
    assert 10 < out.mean() < 245 and out.std() > 3  # neither blank nor saturated
