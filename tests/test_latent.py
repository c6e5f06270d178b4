"""Latent editing: the headless operations on tiny random-init nets, the recipes' smoke runs, and (once
shipped) the real VAE's attribute directions judged by the real face-attributes classifier."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from latent_studio.app.core.faces import Box, crop_face, detector_available, feather_mask, paste_back
from latent_studio.app.core.latent import DIRECTIONS_FILE, LatentEditor, UnknownDirectionError
from latent_studio.models.errors import LatentStudioError
from latent_studio.models.manifest import read_manifest, sha256_of, weights_dir, write_manifest
from latent_studio.models.registry import ModelSpec, Registry
from latent_studio.models.vae.directions import DirectionSet, build_directions
from latent_studio.models.vae.spec import FACE_ATTRIBUTES, VAE
from tests.conftest import utkface_pack

REPO = Path(__file__).resolve().parent.parent
UTKFACE = REPO.parent / "shared" / "datasets" / "utkface" / "images"  # the shared data, beside the repository
TINY_VAE = {"latent_dim": 8, "widths": [8, 16], "image_size": 16, "code_channels": 4}
TINY_JUDGE = {"widths": [8, 8], "image_size": 16}


def _ship(folder, file_name, tensors, config=None):
    save_file(tensors, str(folder / file_name))
    manifest = read_manifest(folder)
    manifest["files"][file_name] = {"sha256": sha256_of(folder / file_name), "config": config or {}}
    write_manifest(manifest, folder)


@pytest.fixture(scope="module")
def tiny_registry(tmp_path_factory):
    """A temporary weights folder with a tiny VAE, a tiny judge and directions built from random codes."""
    from latent_studio.models.vae.classifier import FaceAttributeNet
    from latent_studio.models.vae.network import FaceVAE

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    vae, judge = FaceVAE(**TINY_VAE).eval(), FaceAttributeNet(**TINY_JUDGE).eval()
    _ship(folder, "vae-v1.safetensors", vae.state_dict(), TINY_VAE)
    _ship(folder, "face-attributes-v1.safetensors", judge.state_dict(), TINY_JUDGE)
    codes = torch.randn(60, 8)
    age, gender = torch.randint(0, 80, (60,)), torch.randint(0, 2, (60,))
    age[:5], age[5:10], age[10:15] = 5, 25, 60  # every group has faces
    tensors, _ = build_directions(codes, age, gender, pcs=3).to_tensors()
    _ship(folder, DIRECTIONS_FILE, tensors)
    specs = {
        "vae": ModelSpec(
            "vae", "latent_studio.models.vae.network:FaceVAE", "vae-v1.safetensors", 16, "t", "tiny", TINY_VAE
        ),
        "face-attributes": ModelSpec(
            "face-attributes",
            "latent_studio.models.vae.classifier:FaceAttributeNet",
            "face-attributes-v1.safetensors",
            16,
            "t",
            "tiny",
            TINY_JUDGE,
        ),
    }
    return Registry(folder, specs)


@pytest.fixture
def editor(tiny_registry, tmp_path):
    return LatentEditor.load(registry=tiny_registry, user_dir=tmp_path / "user")


def _photo(seed=0, height=48, width=40):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_encode_decode_shapes_and_determinism(editor):
    assert not editor.vae.training
    first = editor.encode(_photo(), Box(4, 4, 32))
    second = editor.encode(_photo(), Box(4, 4, 32))
    # the latent code, then the face's fitted detail map (4 channels at 16x16)
    assert first.code.shape == (8 + 4 * 16 * 16,) and first.crop.pixels.shape == (16, 16, 3)
    assert torch.equal(first.code, second.code)  # the posterior mean refined by fixed steps, no sampling
    face = editor.decode(first.code)
    assert face.shape == (16, 16, 3) and face.dtype == np.uint8
    assert editor.decode(torch.stack([first.code, first.code])).shape == (2, 16, 16, 3)
    plain = editor.encode(_photo(), Box(4, 4, 32), refine=False)
    assert plain.code.shape == (8,)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a.astype(float) - b.astype(float)) ** 2)))


def test_refined_face_is_closer_to_its_photo_and_edits_move_only_the_code(editor):
    photo = _photo(3)
    plain = editor.encode(photo, Box(4, 4, 32), refine=False)
    calls = []

    class Recorder:
        def report(self, fraction, message=""):
            calls.append(fraction)

    flags = [p.requires_grad for p in editor.vae.parameters()]
    weights = {k: v.clone() for k, v in editor.vae.state_dict().items()}
    fitted = editor.encode(photo, Box(4, 4, 32), progress=Recorder())
    crop = fitted.crop.pixels
    assert _psnr(editor.decode(fitted.code), crop) > _psnr(editor.decode(plain.code), crop) + 1
    assert len(calls) == editor.refine_steps and calls[-1] == 1.0
    assert [p.requires_grad for p in editor.vae.parameters()] == flags  # the network is left as it was
    assert all(torch.equal(v, weights[k]) for k, v in editor.vae.state_dict().items())
    moved = editor.edit(fitted.code, {"young": 1.0})
    assert torch.equal(moved[8:], fitted.code[8:]) and not torch.equal(moved[:8], fitted.code[:8])
    # a refined face blends with a random one (no detail): the detail map fades out along the way
    halfway = editor.blend(fitted.code, editor.sample(1), 0.5)
    assert halfway.shape == fitted.code.shape and torch.allclose(halfway[8:], fitted.code[8:] / 2)
    with pytest.raises(LatentStudioError, match="does not fit this face model"):
        editor.decode(torch.zeros(9))


def test_fitting_scores_the_state_its_last_step_reaches(editor):
    from latent_studio.models.metrics import psnr
    from latent_studio.models.vae.refine import refine

    faces = torch.from_numpy(np.stack([_photo(k, 16, 16) for k in range(4)])).permute(0, 3, 1, 2).float() / 255
    one = refine(editor.vae, faces, steps=1)
    # one update: the loop only scored the encoder's guess, so the gain comes from the final check
    assert bool((one.psnr_after > one.psnr_before).all())
    with torch.no_grad():
        again = psnr(editor.vae.decode(one.codes, one.details).clamp(0, 1), faces)
    assert torch.allclose(again, one.psnr_after, atol=1e-4)  # the kept state is the one that was scored


def test_growing_the_64_px_model_starts_as_its_bilinear_enlargement():
    from latent_studio.models.vae.network import FaceVAE

    torch.manual_seed(0)
    small = FaceVAE(**TINY_VAE).eval()
    big = FaceVAE(**{**TINY_VAE, "image_size": 32, "core_size": 16}).eval()
    assert big.load_state_dict(small.state_dict(), strict=False).missing_keys == [
        f"head.{i}.{p}" for i in (1, 3, 5) for p in ("weight", "bias")
    ]
    faces = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        codes = big.encode(faces)
        assert torch.allclose(codes, small.encode(torch.nn.functional.interpolate(faces, size=16, mode="area")))
        expected = torch.nn.functional.interpolate(small.decode(codes) * 2 - 1, scale_factor=2, mode="bilinear")
        assert torch.allclose(big.decode(codes), expected * 0.5 + 0.5, atol=1e-6)
    assert big.detail_shape() == (4, 16, 16)


def test_encode_accepts_16_bit_and_alpha(editor):
    rgba16 = np.concatenate([_photo().astype(np.uint16) * 257, np.full((48, 40, 1), 65535, np.uint16)], axis=2)
    assert torch.allclose(
        editor.encode(rgba16, Box(0, 0, 40)).code, editor.encode(_photo(), Box(0, 0, 40)).code, atol=1e-4
    )


def test_interpolation_endpoints_and_sample_seed(editor):
    a, b = editor.sample(1), editor.sample(2)
    assert torch.equal(a, editor.sample(1)) and not torch.equal(a, b)
    path = editor.interpolate(a, b, 5)
    assert path.shape == (5, 8)
    assert torch.allclose(path[0], a) and torch.allclose(path[-1], b)
    with pytest.raises(LatentStudioError):
        editor.interpolate(a, b, 1)


def test_edit_moves_in_sigma_units_and_rejects_unknown_names(editor):
    code = editor.sample(0)
    moved = editor.edit(code, {"young": 2.0})
    i = editor.directions.index("young")
    assert torch.allclose(moved - code, 2 * editor.directions.sigmas[i] * editor.directions.vectors[i], atol=1e-6)
    assert torch.equal(editor.edit(code, {}), code)
    with pytest.raises(UnknownDirectionError, match=r"smiling.*young, female"):
        editor.edit(code, {"smiling": 1.0})


def test_directions_asset_has_attributes_pcs_and_unit_vectors(editor):
    d = editor.directions
    assert d.names[:3] == ["young", "female", "child"] and d.names[3:6] == ["pc1", "pc2", "pc3"]
    assert torch.allclose(d.vectors.norm(dim=1), torch.ones(len(d.names)), atol=1e-5)
    assert (d.sigmas > 0).all()


def test_each_attribute_direction_is_orthogonal_to_the_other_raw_directions():
    from latent_studio.models.vae.directions import orthogonalize

    raw = torch.nn.functional.normalize(torch.randn(3, 8), dim=1)
    out = orthogonalize(raw)
    for i in range(3):
        for j in range(3):
            if i != j:
                assert abs(float(out[i] @ raw[j])) < 1e-5
    assert float(out[0] @ raw[0]) > 0


def test_define_direction_from_two_folders_is_saved_and_reloaded(editor, tiny_registry, tmp_path):
    for name, value in (("with", 230), ("without", 20)):
        (tmp_path / name).mkdir()
        for k in range(2):
            pixels = np.full((24, 24, 3), value - 5 * k, np.uint8)
            Image.fromarray(pixels).save(tmp_path / name / f"{k}.png")
    updated = editor.define_direction("bright", tmp_path / "with", tmp_path / "without")
    assert "bright" in updated.names and (editor.user_dir / "bright.safetensors").is_file()
    again = LatentEditor.load(registry=tiny_registry, user_dir=editor.user_dir)
    i = again.directions.index("bright")
    assert again.directions.kinds[i] == "user" and again.directions.sigmas[i] > 0
    assert torch.allclose(again.directions.vectors[i], updated.vectors[updated.index("bright")], atol=1e-6)
    stale = DirectionSet.load(editor.user_dir / "bright.safetensors")
    stale.facts["vae"] = "another-model"
    stale.names = ["stale"]
    stale.save(editor.user_dir / "stale.safetensors")
    assert "stale" not in LatentEditor.load(registry=tiny_registry, user_dir=editor.user_dir).direction_names()
    with pytest.raises(LatentStudioError, match="no pictures"):
        (tmp_path / "empty").mkdir()
        editor.define_direction("x", tmp_path / "empty", tmp_path / "with")
    with pytest.raises(LatentStudioError, match="cannot be a direction name"):
        editor.define_direction("bad name!", tmp_path / "with", tmp_path / "without")


@pytest.mark.parametrize("box", [Box(10, 8, 20), Box(-6, 30, 25), Box(30, -4, 16)])
def test_paste_back_keeps_size_and_only_changes_the_box(box):
    photo = _photo(3, 50, 44)
    face = np.full((16, 16, 3), 255, np.uint8)
    result = paste_back(photo, face, box)
    assert result.shape == photo.shape and result.dtype == photo.dtype
    changed = np.argwhere(np.any(result != photo, axis=2))
    assert len(changed) > 0
    assert changed[:, 0].min() >= max(0, box.y) and changed[:, 0].max() < box.y + box.size
    assert changed[:, 1].min() >= max(0, box.x) and changed[:, 1].max() < box.x + box.size


def test_paste_back_delta_of_an_unchanged_edit_leaves_the_photo_alone():
    photo = _photo(4, 40, 40)
    face = np.random.default_rng(5).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert np.array_equal(paste_back(photo, face, Box(5, 5, 30), reference=face), photo)
    mask = feather_mask(32)
    assert mask[16, 16] == 1 and mask[0, 0] == 0 and mask[0, 16] == 0


def test_face_crop_falls_back_to_a_centred_square():
    crop = crop_face(np.full((60, 100, 3), 128, np.uint8), 16)
    assert not crop.detected and "centred square" in crop.note
    assert crop.box == Box(20, 0, 60) and crop.pixels.shape == (16, 16, 3)
    given = crop_face(_photo(), 16, Box(2, 3, 10))
    assert given.box == Box(2, 3, 10) and "given crop box" in given.note


@pytest.mark.skipif(not detector_available(), reason="this OpenCV build has no Haar cascade (OpenCV 5 dropped them)")
def test_detected_face_is_cropped_to_the_utkface_framing():
    files = sorted(UTKFACE.glob("*.jpg"))[:40:8] if UTKFACE.is_dir() else []
    if not files:
        pytest.skip("no UTKFace faces here")
    hits = 0
    for file in files:
        face = np.asarray(Image.open(file).convert("RGB"))
        photo = np.full((500, 640, 3), 90, np.uint8)
        photo[120:320, 300:500] = face  # the true framing is Box(300, 120, 200)
        crop = crop_face(photo, 64)
        if crop.detected:
            hits += 1
            assert abs(crop.box.x - 300) < 40 and abs(crop.box.y - 120) < 40 and 160 < crop.box.size < 250
    assert hits >= len(files) - 1


def test_cli_edit_and_interpolate_with_the_tiny_editor(editor, tmp_path, monkeypatch):
    from latent_studio.app import cli
    from latent_studio.app.commands import edit as edit_command

    monkeypatch.setattr(edit_command, "_editor", lambda args: editor)
    Image.fromarray(_photo(6, 64, 48)).save(tmp_path / "in.png")
    assert (
        cli.main(
            ["edit", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--attr", "young=+1.5", "--box", "4,4,30,30"]
        )
        == 0
    )
    assert Image.open(tmp_path / "out.png").size == (48, 64)
    assert cli.main(["edit", str(tmp_path / "in.png"), str(tmp_path / "o.png"), "--attr", "smiling=1"]) == 2
    assert cli.main(["edit", str(tmp_path / "in.png"), str(tmp_path / "o.png"), "--attr", "young"]) == 2
    assert (
        cli.main(
            [
                "interpolate",
                str(tmp_path / "in.png"),
                str(tmp_path / "in.png"),
                str(tmp_path / "strip.png"),
                "--steps",
                "4",
                "--scale",
                "1",
            ]
        )
        == 0
    )
    assert Image.open(tmp_path / "strip.png").size == (64, 16)
    assert (
        cli.main(
            [
                "interpolate",
                str(tmp_path / "in.png"),
                str(tmp_path / "in.png"),
                str(tmp_path / "frames"),
                "--steps",
                "3",
            ]
        )
        == 0
    )
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 3


def test_evaluation_report_on_tiny_nets(tiny_registry):
    from latent_studio.models.vae.evaluate import evaluate, markdown

    vae, judge = tiny_registry.load_model("vae"), tiny_registry.load_model("face-attributes")
    directions = DirectionSet.from_tensors(tiny_registry.load_tensors(DIRECTIONS_FILE))
    images = torch.randint(0, 256, (6, 3, 16, 16), dtype=torch.uint8)
    report = evaluate(vae, judge, directions, images)
    assert set(report["attributes"]) == {"young", "female"}
    assert 0 <= report["attributes"]["young"]["direction"]["flip_rate"] <= 1
    random = report["attributes"]["young"]["random"]  # the mean of 8 random directions, with their range
    assert random["directions"] == 8
    assert random["flip_rate_min"] <= random["flip_rate"] <= random["flip_rate_max"]
    assert "| young |" in markdown(report)


@pytest.mark.parametrize("recipe, extra", [("vae", []), ("vae", ["--loss", "pixel"]), ("face-attributes", [])])
def test_recipes_run_end_to_end_on_a_tiny_pack(tmp_path, recipe, extra):
    from latent_studio.models.train import main

    pack = utkface_pack(tmp_path / "faces.npz", repeats=3)
    out = tmp_path / "run"
    argv = [
        recipe,
        *extra,
        "--data",
        str(pack),
        "--out",
        str(out),
        "--max-steps",
        "2",
        "--batch-size",
        "4",
        "--size",
        "16",
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    for name in (
        "model.safetensors",
        "config.json",
        "metrics.json",
        "samples.png",
        "log.jsonl",
        "checkpoint.safetensors",
    ):
        assert (out / name).is_file(), name
    assert json.loads((out / "metrics.json").read_text())["steps"] == 2
    more_steps = list(argv)
    more_steps[argv.index("--max-steps") + 1] = "3"
    assert main(more_steps) == 0  # resumes
    assert json.loads((out / "metrics.json").read_text())["steps"] == 3


def _held_out_faces(pack_name: str, size: int, limit: int):
    """The val split of .gpu/<pack_name> (else of the shared UTKFace folder) at `size`; skips where neither is."""
    from latent_studio.models.vae.trainkit import load_faces

    pack = REPO / ".gpu" / pack_name
    source = pack if pack.exists() else UTKFACE
    if not source.exists():
        pytest.skip("no held-out faces here")
    return load_faces([str(source)], size, torch.device("cpu"), want_val=True, limit=limit)


def _shipped() -> bool:
    files = read_manifest(weights_dir())["files"]
    return all(f in files for f in (VAE.weights_file, FACE_ATTRIBUTES.weights_file, DIRECTIONS_FILE))


@pytest.mark.skipif(
    not _shipped(), reason="the VAE, its directions and the face-attributes classifier are not shipped yet"
)
@pytest.mark.parametrize("direction, output", [("young", "young"), ("female", "female")])
def test_shipped_direction_moves_the_judged_attribute(direction, output):
    from latent_studio.models.registry import load_model, load_tensors

    vae, judge = load_model("vae"), load_model("face-attributes")
    directions = DirectionSet.from_tensors(load_tensors(DIRECTIONS_FILE))
    faces = _held_out_faces("faces.npz", vae.image_size, limit=64)
    with torch.no_grad():
        codes = vae.encode(faces.images.float() / 255)
        i = directions.index(direction)
        step = 2 * directions.sigmas[i] * directions.vectors[i]
        up = judge.attributes(vae.decode(codes + step))[output]
        down = judge.attributes(vae.decode(codes - step))[output]
    assert (up - down).mean() > 0.4  # measured with the first weights: 0.79 (young), 0.70 (female)
    assert (up > down).float().mean() > 0.9  # measured: 1.0 for both


def test_metrics_psnr_ssim_and_sharpness_behave():
    from latent_studio.models.metrics import gradient_magnitude, high_frequency_energy, psnr, ssim

    torch.manual_seed(0)
    image = torch.rand(2, 3, 32, 32)
    assert torch.allclose(psnr(image, (image + 0.1).clamp(max=5)), torch.full((2,), 20.0), atol=1e-3)
    assert torch.allclose(ssim(image, image), torch.ones(2), atol=1e-5)
    assert (ssim(image, torch.rand(2, 3, 32, 32)) < 0.2).all()
    blurred = torch.nn.functional.avg_pool2d(image, 3, 1, 1)
    assert (gradient_magnitude(blurred) < gradient_magnitude(image)).all()
    assert (high_frequency_energy(blurred) < high_frequency_energy(image)).all()


@pytest.mark.skipif(not _shipped(), reason="the VAE is not shipped yet")
def test_shipped_vae_reconstructs_held_out_faces_and_samples_faces():
    from latent_studio.models.metrics import psnr
    from latent_studio.models.registry import default_registry

    editor = LatentEditor.load(registry=default_registry(), user_dir=REPO / "no-user-directions")
    faces = _held_out_faces("faces.npz", editor.size, limit=32)
    with torch.no_grad():
        x = faces.images.float() / 255
        assert psnr(editor.vae(x), x).mean() > 22.0  # measured with the first weights: 24.4 on all 930 val faces
    samples = editor.decode(torch.stack([editor.sample(seed) for seed in range(4)]))
    assert samples.shape == (4, editor.size, editor.size, 3) and samples.std() > 20


def test_head_recipe_grows_a_shipped_vae_and_resumes(tmp_path):
    from latent_studio.models.train import main
    from latent_studio.models.vae.network import FaceVAE

    torch.manual_seed(0)
    shipped = tmp_path / "weights"
    shipped.mkdir()
    _ship(shipped, "vae-v1.safetensors", FaceVAE(**TINY_VAE).state_dict(), TINY_VAE)
    pack, out = utkface_pack(tmp_path / "faces.npz", repeats=3), tmp_path / "run"
    argv = ["vae-head", "--init", str(shipped / "vae-v1.safetensors"), "--data", str(pack), "--out", str(out)]
    argv += ["--size", "32", "--batch-size", "4", "--device", "cpu", "--minutes", "5"]
    assert main([*argv, "--max-steps", "2"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert (config["image_size"], config["core_size"]) == (32, 16)
    FaceVAE(**config).load_state_dict(load_file(str(out / "model.safetensors")))  # strict: every key fits
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 2 and "before" in metrics and metrics["val_psnr"] > 0
    assert main([*argv, "--max-steps", "4"]) == 0  # resumes from the checkpoint: 2 more steps
    assert json.loads((out / "metrics.json").read_text())["steps"] == 4


def test_evaluation_of_fitted_faces_on_tiny_nets(tiny_registry):
    from latent_studio.models.vae.evaluate import refined_report

    vae, judge = tiny_registry.load_model("vae"), tiny_registry.load_model("face-attributes")
    directions = DirectionSet.from_tensors(tiny_registry.load_tensors(DIRECTIONS_FILE))
    images = torch.randint(0, 256, (5, 3, 16, 16), dtype=torch.uint8)
    report = refined_report(vae, judge, directions, images, steps=10)
    assert report["psnr_median_after"] > report["psnr_median_before"]
    assert set(report["attributes"]) == {"young", "female"}


def test_smile_direction_is_found_within_age_bands_and_placed_with_the_attributes():
    from latent_studio.models.vae.smile import mouth_ratio, smile_direction, with_smile

    landmarks = np.array([[30, 40], [70, 40], [50, 60], [35, 80], [65, 80]], float)
    assert mouth_ratio(landmarks) == pytest.approx(30 / 40)
    rng = np.random.default_rng(0)
    n, dim = 600, 8
    age = torch.from_numpy(rng.choice([2, 25, 70], n))
    gender = torch.from_numpy(rng.integers(0, 2, n))
    smile = rng.normal(size=n)
    # the ratio grows with age (babies' small mouths) and with the planted smile axis (code dimension 3)
    ratios = 0.6 + 0.003 * age.numpy() + 0.05 * smile
    codes = torch.from_numpy(rng.normal(size=(n, dim))).float()
    codes[:, 3] += torch.from_numpy(smile).float()
    codes[:, 0] += age.float() / 30  # age lives on dimension 0: comparing across ages would pick it up
    vector = smile_direction(codes, ratios, age, gender)
    assert abs(float(vector[3])) > 0.9 and vector[3] > 0
    base = DirectionSet.from_tensors(build_directions(codes, age, gender, pcs=2).to_tensors()[0])
    added = with_smile(base, vector, {"band_medians": {}})
    assert added.names == ["young", "female", "child", "smile", "pc1", "pc2"]
    assert added.kinds[3] == "attribute" and added.sigmas[3] > 0


@pytest.mark.skipif(not _shipped(), reason="the VAE and its directions are not shipped yet")
def test_shipped_smile_direction_widens_the_mouth():
    from latent_studio.models.registry import load_model, load_tensors
    from latent_studio.models.vae.smile import mouth_ratios

    vae, detector = load_model("vae"), load_model("face-detector")
    directions = DirectionSet.from_tensors(load_tensors(DIRECTIONS_FILE))
    faces = _held_out_faces("faces128_val.npz", vae.image_size, limit=24)
    i = directions.index("smile")
    step = 2 * directions.sigmas[i] * directions.vectors[i]
    with torch.no_grad():
        codes = vae.encode(faces.images.float() / 255)
        wide = mouth_ratios(detector, vae.decode(codes + step))
        narrow = mouth_ratios(detector, vae.decode(codes - step))
    both = np.isfinite(wide) & np.isfinite(narrow)
    assert both.sum() >= 20 and (wide[both] > narrow[both]).mean() > 0.9  # measured: 24 of 24


def test_head_recipe_with_the_detail_critic_trains_both_and_resumes_both(tmp_path):
    from latent_studio.models.train import main
    from latent_studio.models.vae.network import FaceVAE
    from latent_studio.models.vae.train_head import DetailCritic, split_detail

    torch.manual_seed(0)
    faces = torch.rand(2, 3, 32, 32)
    coarse, detail = split_detail(faces)
    assert torch.allclose(coarse + detail, faces) and DetailCritic()(faces).shape == (2, 1, 4, 4)  # 8 px patches
    shipped = tmp_path / "weights"
    shipped.mkdir()
    _ship(shipped, "vae-v1.safetensors", FaceVAE(**TINY_VAE).state_dict(), TINY_VAE)
    pack, out = utkface_pack(tmp_path / "faces.npz", repeats=3), tmp_path / "run"
    argv = ["vae-head", "--init", str(shipped / "vae-v1.safetensors"), "--data", str(pack), "--out", str(out)]
    argv += ["--size", "32", "--batch-size", "4", "--device", "cpu", "--minutes", "5", "--adversarial", "0.1"]
    assert main([*argv, "--max-steps", "2"]) == 0
    assert any(key.startswith("critic.") for key in load_file(str(out / "checkpoint.safetensors")))
    head = load_file(str(out / "model.safetensors"))["head.5.weight"]
    assert head.abs().sum() > 0  # the zero head has moved
    assert json.loads((out / "metrics.json").read_text())["adversarial"] == 0.1
    assert main([*argv, "--max-steps", "4"]) == 0  # generator and critic resume together
    assert json.loads((out / "metrics.json").read_text())["steps"] == 4
