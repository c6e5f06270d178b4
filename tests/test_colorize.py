"""The colorizer: network contract, full-resolution pipeline, hints, CLI, errors.

Logic tests use a tiny random-init model written to a temporary weights folder and loaded through the
registry (checksummed, strict), so they run in about a second. Behaviour tests use the shipped weights
(weights/colorizer-v2.safetensors) at small sizes.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from latent_studio.app.core.colorize import (
    ColorizeResult,
    Hint,
    colorize,
    colorize_lightness,
    colorize_pictures,
    suggest_colors,
)
from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.imageio import Picture, load_image, save_image
from latent_studio.models.color import rgb_to_lab
from latent_studio.models.colorizer.hints import rasterize_hints, simulate_hints
from latent_studio.models.colorizer.network import Colorizer, make_input
from latent_studio.models.colorizer.quantize import (
    annealed_mean,
    gamut_bins,
    prior_correction,
    rebalance_weights,
    soft_encode,
)
from latent_studio.models.errors import LatentStudioError
from latent_studio.models.manifest import sha256_of, write_manifest
from latent_studio.models.registry import Registry, default_registry

CPU = ComputeSettings(device="cpu")
TINY = {"width": 8, "head": "classify", "num_bins": None, "deep": 16, "temperature": 0.38}


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Registry:
    """A weights folder holding a tiny random colorizer, registered under the real name."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    model = Colorizer(**TINY)
    config = model.config()
    save_file(model.state_dict(), folder / "colorizer-v2.safetensors")
    entry = {"sha256": sha256_of(folder / "colorizer-v2.safetensors"), "config": config}
    write_manifest({"format": 1, "files": {"colorizer-v2.safetensors": entry}}, folder)
    return Registry(folder)


def gray_picture(height: int = 37, width: int = 53, seed: int = 0) -> Picture:
    rng = np.random.default_rng(seed)
    level = rng.integers(0, 256, size=(height, width, 1), dtype=np.uint8)
    return Picture(np.repeat(level, 3, axis=2), is_gray=True)


def lightness(pixels: np.ndarray) -> torch.Tensor:
    scale = 65535.0 if pixels.dtype == np.uint16 else 255.0
    rgb = torch.from_numpy(pixels[..., :3].astype(np.float32) / scale).permute(2, 0, 1)[None]
    return rgb_to_lab(rgb)[0, 0]


# --- network and colour space -------------------------------------------------------------------------


def test_forward_pass_shape_range_and_no_nan(registry):
    model = registry.load_model("colorizer")
    x = make_input(torch.rand(2, 1, 32, 48) * 100, torch.zeros(2, 2, 32, 48), torch.zeros(2, 1, 32, 48))
    output = model(x)
    assert output.shape == (2, model.num_bins, 16, 24)
    ab = model.decode(output)
    assert ab.shape == (2, 2, 16, 24)
    assert torch.isfinite(ab).all() and ab.abs().max() <= 110


def test_default_architecture_is_lean_enough_for_interactive_cpu_use():
    from torch.utils.flop_counter import FlopCounterMode

    model = Colorizer(num_bins=259).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 4, 64, 64))
    assert counter.get_total_flops() * (256 * 256) / (64 * 64) < 6e9  # convolutions scale with the pixels
    assert sum(t.numel() for t in model.state_dict().values()) * 4 < 12 * 2**20


def test_gamut_bins_are_deterministic_and_soft_encoding_decodes_back():
    bins = gamut_bins()
    assert bins.shape == (259, 2) and torch.equal(bins, gamut_bins())
    ab = torch.tensor([[[[20.0, -35.0]], [[45.0, 10.0]]]])  # (1, 2, 1, 2)
    encoded = soft_encode(ab, bins)
    assert torch.allclose(encoded.sum(1), torch.ones(1, 1, 2))
    decoded = annealed_mean(torch.log(encoded + 1e-12), bins, temperature=1.0)
    assert (decoded - ab).abs().max() < 3.0


def test_prior_correction_takes_the_rebalancing_tilt_back_out():
    bins = gamut_bins()
    prior = torch.softmax(torch.randn(bins.shape[0], generator=torch.Generator().manual_seed(0)), dim=0)
    assert prior_correction(prior, 0.0) is None
    tilted = torch.log(rebalance_weights(prior)).view(1, -1, 1, 1)  # a model that learnt only the loss weights
    decoded = annealed_mean(tilted, bins, temperature=1.0, log_bias=prior_correction(prior, 1.0))
    assert torch.allclose(decoded[0, :, 0, 0], bins.mean(dim=0), atol=1e-3)  # uniform again: the mean bin


def test_shipped_colorizers_load_and_colour_a_small_gray_picture():
    registry = default_registry()
    model, baseline = registry.load_model("colorizer"), registry.load_model("colorizer-l2")
    assert model.head_kind == "classify" and baseline.head_kind == "regress"
    assert model.temperature == pytest.approx(0.7)  # the decode setting chosen by latent_studio.models.colorizer.tune
    y, x = torch.meshgrid(torch.linspace(20, 90, 48), torch.linspace(0, 1, 64), indexing="ij")
    lightness = (y + 5 * torch.sin(x * 20)).view(1, 1, 48, 64)
    for name in ("colorizer", "colorizer-l2"):
        rgb = colorize_lightness(lightness, working_size=64, settings=CPU, model_name=name)
        assert rgb.shape == (1, 3, 48, 64) and torch.isfinite(rgb).all()
        assert rgb_to_lab(rgb)[0, 1:].norm(dim=0).mean() > 2.0, f"{name} left a gray picture gray"


def test_vividness_turns_the_shipped_colorizer_towards_vivid_colours():
    y, x = np.mgrid[0:64, 0:96]
    level = np.where(y < 28, 200 - 2 * y, 80 + 20 * np.sin(x / 4.0))  # a bright sky-like band over textured ground
    picture = Picture(np.repeat(level.clip(0, 255).astype(np.uint8)[..., None], 3, axis=2), is_gray=True)
    chroma = []
    for vividness in (0.0, 0.5, 1.0):
        pixels = colorize(picture, working_size=64, settings=CPU, vividness=vividness).picture.pixels
        assert (lightness(pixels) - lightness(picture.pixels)).abs().max() < 1.5  # only the colour moves
        chroma.append(
            float(rgb_to_lab(torch.from_numpy(pixels / 255.0).permute(2, 0, 1)[None].float())[0, 1:].norm(dim=0).mean())
        )
    assert chroma[0] < chroma[1] < chroma[2] and chroma[2] > 1.3 * chroma[0]
    with pytest.raises(LatentStudioError, match=r"^The vividness must be between 0 and 1, not 1\.5\.$"):
        colorize(picture, working_size=64, settings=CPU, vividness=1.5)


def test_simulated_hints_hold_the_true_colour_and_are_sometimes_absent():
    generator = torch.Generator().manual_seed(0)
    ab = torch.randn(16, 2, 24, 24) * 5 + torch.tensor([30.0, -20.0]).view(1, 2, 1, 1)
    hint, mask = simulate_hints(ab, generator)
    per_image = mask.sum(dim=(1, 2, 3))
    assert (per_image == 0).any() and (per_image > 0).any()
    assert ((hint - ab).abs() * mask).sum() / mask.sum() / 2 < 5.0  # patch means of the true colour
    assert (hint * (1 - mask)).abs().max() == 0


def test_rasterized_hint_is_a_small_patch_at_its_place():
    hint, mask = rasterize_hints([(10.5, 4.5, 50.0, -30.0)], 16, 20, size=3)
    assert mask.sum() == 9 and mask[0, 0, 4, 10] == 1
    assert hint[0, 0, 4, 10] == 50.0 and hint[0, 1, 4, 10] == -30.0


# --- the headless operation ---------------------------------------------------------------------------


@pytest.mark.parametrize("weights", ["tiny", "shipped"])
def test_full_resolution_result_keeps_size_and_lightness(registry, weights):
    picture = gray_picture()
    chosen = registry if weights == "tiny" else default_registry()
    result = colorize(picture, working_size=64, settings=CPU, registry=chosen)
    assert isinstance(result, ColorizeResult) and not result.converted_from_colour
    assert result.picture.pixels.shape == picture.pixels.shape
    assert not result.picture.is_gray
    difference = (lightness(result.picture.pixels) - lightness(picture.pixels)).abs()
    assert difference.mean() < 1.0 and difference.max() < 4.0


def test_colour_input_is_converted_and_16_bit_alpha_is_kept(registry):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 65536, size=(20, 30, 4), dtype=np.uint16)
    result = colorize(Picture(pixels), working_size=64, settings=CPU, registry=registry)
    assert result.converted_from_colour and "lightness" in result.note
    assert result.picture.pixels.dtype == np.uint16 and result.picture.pixels.shape == (20, 30, 4)
    np.testing.assert_array_equal(result.picture.pixels[..., 3], pixels[..., 3])
    difference = (lightness(result.picture.pixels) - lightness(pixels)).abs()
    assert difference.mean() < 1.0


def test_batch_entry_point_and_colour_suggestions(registry):
    rgb = colorize_lightness(torch.rand(3, 1, 24, 40) * 100, working_size=64, settings=CPU, registry=registry)
    assert rgb.shape == (3, 3, 24, 40) and rgb.min() >= 0 and rgb.max() <= 1
    colours = suggest_colors(gray_picture(), 5, 7, count=4, working_size=64, settings=CPU, registry=registry)
    assert 1 <= len(colours) <= 4 and all(len(c) == 3 and all(0 <= v <= 255 for v in c) for c in colours)


def test_bad_requests_say_what_is_wrong(registry):
    picture = gray_picture()
    with pytest.raises(LatentStudioError, match="outside the 53 x 37 picture"):
        colorize(picture, [Hint(80, 3, (255, 0, 0))], settings=CPU, registry=registry)
    with pytest.raises(LatentStudioError, match="working size must be between"):
        colorize(picture, working_size=8, settings=CPU, registry=registry)
    with pytest.raises(LatentStudioError, match="three values from 0 to 255"):
        colorize(picture, [Hint(1, 1, (300, 0, 0))], settings=CPU, registry=registry)


def test_hint_pulls_the_colour_at_its_place_towards_the_hint():
    rgb = np.zeros((96, 128, 3), dtype=np.uint8)
    rgb[:, :64] = 90
    rgb[:, 64:] = 170
    picture = Picture(rgb, is_gray=True)
    colour = (140, 40, 20)  # a brick red about as light as the gray 90 it is put on
    target = rgb_to_lab(torch.tensor(colour, dtype=torch.float32).view(1, 3, 1, 1) / 255)[0, 1:, 0, 0]
    plain = colorize(picture, settings=CPU).picture.pixels
    hinted = colorize(picture, [Hint(32, 48, colour)], settings=CPU).picture.pixels

    def ab_at(pixels: np.ndarray) -> torch.Tensor:
        rgb_t = torch.from_numpy(pixels[45:52, 29:36].astype(np.float32) / 255).permute(2, 0, 1)[None]  # 7x7 around it
        return rgb_to_lab(rgb_t)[0, 1:].mean(dim=(1, 2))

    assert (ab_at(hinted) - target).norm() < 0.6 * (ab_at(plain) - target).norm()


# --- the command line ---------------------------------------------------------------------------------


def test_cli_colorizes_a_tiny_image_end_to_end(registry, tmp_path, monkeypatch, capsys):
    import latent_studio.models.registry
    from latent_studio.app.cli import main

    monkeypatch.setattr(latent_studio.models.registry, "_DEFAULT", registry)
    source = tmp_path / "in.png"
    save_image(Picture(np.full((12, 20, 3), 128, dtype=np.uint8)), source)
    code = main(
        ["colorize", str(source), str(tmp_path / "out.png"), "--size", "64", "--device", "cpu", "--hint", "3,4,#ff8800"]
    )
    assert code == 0
    assert load_image(tmp_path / "out.png").pixels.shape == (12, 20, 3)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing.png", "out.png"], "does not exist"),
        (["in.png", "out.png", "--hint", "3;4;red"], "not of the form X,Y,#RRGGBB"),
        (["in.png", "out.xyz"], "unknown extension"),
        (["in.png", "out.png", "--vividness", "-0.2"], "The vividness must be between 0 and 1, not -0.2."),
    ],
)
def test_cli_bad_input_exits_2_with_a_message(registry, tmp_path, monkeypatch, capsys, arguments, message):
    import latent_studio.models.registry
    from latent_studio.app.cli import main

    monkeypatch.setattr(latent_studio.models.registry, "_DEFAULT", registry)
    monkeypatch.chdir(tmp_path)
    save_image(Picture(np.full((8, 8, 3), 100, dtype=np.uint8)), tmp_path / "in.png")
    assert main(["colorize", *arguments, "--size", "64", "--device", "cpu"]) == 2
    assert message in capsys.readouterr().err


# --- training recipe and evaluation (tiny, CPU) -------------------------------------------------------


@pytest.fixture()
def photo_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for index in range(3):
        y, x = np.mgrid[0:40, 0:56]
        pixels = np.stack([x * 4, y * 5, 255 - x * 3], axis=2) + rng.integers(0, 20, size=(40, 56, 3))
        save_image(Picture(pixels.clip(0, 255).astype(np.uint8)), folder / f"p{index}.png")
    return folder


@pytest.mark.parametrize("loss", ["classify", "l2"])
def test_recipe_writes_weights_that_load_into_the_registry_architecture(photo_folder, tmp_path, loss):
    import json

    from latent_studio.models.colorizer.spec import COLORIZER, COLORIZER_L2
    from latent_studio.models.colorizer.train import main

    out = tmp_path / "run"
    code = main(
        [
            "--data",
            str(photo_folder),
            "--val-data",
            str(photo_folder),
            "--out",
            str(out),
            "--loss",
            loss,
            "--max-steps",
            "2",
            "--batch-size",
            "2",
            "--crop",
            "32",
            "--width",
            "8",
            "--deep",
            "16",
            "--device",
            "cpu",
            "--working-size",
            "64",
        ]
    )
    assert code == 0
    for name in (
        "model.safetensors",
        "checkpoint.safetensors",
        "config.json",
        "metrics.json",
        "samples.png",
        "log.jsonl",
    ):
        assert (out / name).is_file()
    spec = COLORIZER if loss == "classify" else COLORIZER_L2
    model = spec.build(json.loads((out / "config.json").read_text()))
    model.load_state_dict(load_file(str(out / "model.safetensors")), strict=True)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 2 and metrics["val_images"] == 3 and "hints10_psnr" in metrics


def test_recipe_fine_tunes_from_a_run_with_the_decoded_l1_term(photo_folder, tmp_path):
    import json

    from latent_studio.models.colorizer.train import main

    common = [
        "--data",
        str(photo_folder),
        "--batch-size",
        "2",
        "--crop",
        "32",
        "--width",
        "8",
        "--deep",
        "16",
        "--device",
        "cpu",
        "--working-size",
        "64",
    ]
    assert main([*common, "--out", str(tmp_path / "first"), "--max-steps", "2"]) == 0
    first = tmp_path / "first" / "model.safetensors"
    assert (
        main(
            [
                *common,
                "--out",
                str(tmp_path / "tuned"),
                "--init",
                str(first),
                "--l1-weight",
                "5",
                "--steps",
                "3",
                "--lr",
                "0.01",
            ]
        )
        == 0
    )
    metrics = json.loads((tmp_path / "tuned" / "metrics.json").read_text())
    assert metrics["steps"] == 3 and metrics["l1_weight"] == 5.0 and metrics["init"] == str(first)
    before, after = load_file(str(first)), load_file(str(tmp_path / "tuned" / "model.safetensors"))
    assert torch.equal(before["prior"], after["prior"])  # the bin prior comes with the initial weights
    assert not torch.equal(before["head.weight"], after["head.weight"])  # and training moved the weights


def test_evaluation_reports_the_model_and_both_baselines(registry, photo_folder, tmp_path, capsys):
    import json

    from latent_studio.models.colorizer.evaluate import main

    weights = registry.folder / "colorizer-v2.safetensors"
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "config.json").write_text(json.dumps(TINY))
    (tmp_path / "w" / "model.safetensors").write_bytes(weights.read_bytes())
    report = tmp_path / "report.json"
    assert (
        main(
            [
                "--data",
                str(photo_folder),
                "--weights",
                str(tmp_path / "w" / "model.safetensors"),
                "--baseline-weights",
                str(tmp_path / "w" / "model.safetensors"),
                "--out",
                str(report),
                "--device",
                "cpu",
                "--size",
                "64",
                "--hints",
                "2",
                "--vividness",
                "1",
            ]
        )
        == 0
    )
    methods = json.loads(report.read_text())["methods"]
    assert {"gray", "colorizer", "plain L2", "colorizer + 2 hints", "colorizer, vividness 1"} <= set(methods)
    assert methods["gray"]["colourfulness"] < 1e-3 and methods["gray"]["delta_colourfulness"] < 0
    assert "| gray |" in capsys.readouterr().out


def test_many_pictures_of_mixed_sizes_match_one_by_one(registry):
    pictures = [gray_picture(20, 30, 0), gray_picture(16, 16, 1), gray_picture(20, 30, 2)]
    many = colorize_pictures(pictures, working_size=64, settings=CPU, registry=registry)
    assert [r.picture.pixels.shape for r in many] == [p.pixels.shape for p in pictures]
    single = colorize(pictures[2], working_size=64, settings=CPU, registry=registry)
    assert np.abs(many[2].picture.pixels.astype(int) - single.picture.pixels.astype(int)).max() <= 1


def test_prepared_pictures_without_their_lightness_finish_the_same(registry):
    from latent_studio.app.core.colorize import colorize_prepared, prepare_picture

    pictures = [gray_picture(20, 30, 0), gray_picture(16, 16, 1)]
    kept = [prepare_picture(p, 64, CPU) for p in pictures]
    dropped = [prepare_picture(p, 64, CPU, keep_lightness=False) for p in pictures]
    assert all(item.lightness is None for item in dropped)  # what the batch engine keeps in flight on a GPU
    for a, b in zip(
        colorize_prepared(kept, 64, CPU, registry=registry),
        colorize_prepared(dropped, 64, CPU, registry=registry),
        strict=True,
    ):
        assert np.array_equal(a().picture.pixels, b().picture.pixels)


def test_decode_tuning_rule_and_command(registry, photo_folder, tmp_path):
    import json

    from latent_studio.models.colorizer.tune import choose, main

    table = {
        "T=0.5 correction=0": {"psnr": 20.0, "delta_colourfulness": 3.0},
        "T=0.7 correction=0": {"psnr": 21.0, "delta_colourfulness": 0.1},
        "T=1 correction=0": {"psnr": 22.0, "delta_colourfulness": -2.0},
        "plain L2": {"psnr": 24.0, "delta_colourfulness": -20.0},
    }
    assert choose(table) == "T=0.7 correction=0"  # best PSNR among those at least as colourful as the originals
    for name, colourfulness in (
        ("T=0.5 correction=0", 40.0),
        ("T=0.7 correction=0", 35.0),
        ("T=1 correction=0", 30.0),
        ("plain L2", 20.0),
    ):
        table[name]["colourfulness"] = colourfulness
    assert choose(table, "accurate") == "T=1 correction=0"  # none reaches L2's PSNR: the closest
    assert choose(table, "natural") == "T=1 correction=0"  # the best PSNR among those at least as colourful as L2
    table["T=0.7 correction=0"]["psnr"] = table["T=1 correction=0"]["psnr"] = 24.1
    assert choose(table, "accurate") == "T=0.7 correction=0"  # the most colourful one at L2's PSNR or better
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "config.json").write_text(json.dumps(TINY))
    (tmp_path / "w" / "model.safetensors").write_bytes((registry.folder / "colorizer-v2.safetensors").read_bytes())
    out = tmp_path / "tuning.json"
    assert (
        main(
            [
                "--data",
                str(photo_folder),
                "--per-source",
                "2",
                "--weights",
                str(tmp_path / "w" / "model.safetensors"),
                "--temperatures",
                "0.5",
                "1",
                "--corrections",
                "0",
                "1",
                "--size",
                "64",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads(out.read_text())
    assert report["images"] == 2 and len(report["table"]) >= 4 and report["chosen"] in report["table"]
