"""The attribute judge learns on the ground it is used on: the shipped VAE's reconstructions of its training faces
(models.vae.reconstructions), with the faces' own labels, starting from a trained judge when asked."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from latent_studio.models.registry import default_registry
from latent_studio.models.vae.reconstructions import joined, reconstruct
from latent_studio.models.vae.spec import FACE_ATTRIBUTES, VAE
from latent_studio.models.vae.trainkit import Faces
from tests.conftest import utkface_pack

WEIGHTS = default_registry().folder


def _smooth_faces(count: int, size: int) -> torch.Tensor:
    """Soft face-like blobs (a light oval on a darker ground), uint8 (N,3,S,S)."""
    y, x = np.mgrid[0:size, 0:size] / size
    oval = np.exp(-(((x - 0.5) / 0.28) ** 2 + ((y - 0.5) / 0.36) ** 2))
    faces = [(60 + 150 * oval)[..., None] * np.array([1.0, 0.8 - 0.1 * k, 0.7]) for k in range(count)]
    return torch.from_numpy(np.stack(faces).clip(0, 255).astype(np.uint8)).permute(0, 3, 1, 2).contiguous()


def test_reconstruct_gives_the_shipped_vae_decode_at_the_asked_size():
    vae = default_registry().load_model("vae", "cpu")
    faces = _smooth_faces(3, vae.image_size)
    decodes = reconstruct(vae, faces, 64)
    assert decodes.dtype == torch.uint8 and decodes.shape == (3, 3, 64, 64)
    with torch.no_grad():
        direct = vae.decode(vae.encode(faces.float() / 255)).clamp(0, 1)
    expected = torch.nn.functional.interpolate(direct, size=(64, 64), mode="area") * 255
    assert (decodes.float() - expected).abs().max() <= 1.0  # the same decode, only rounded
    assert (decodes.float().mean(dim=(2, 3)) - faces.float().mean(dim=(2, 3))).abs().max() < 40  # a face came back


def test_joined_keeps_each_face_with_its_labels():
    a = Faces(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.tensor([5, 60]), torch.tensor([0, 1]), ["a", "b"])
    b = Faces(torch.ones(1, 3, 4, 4, dtype=torch.uint8), torch.tensor([33]), torch.tensor([1]), ["c"])
    both = joined(a, b)
    assert len(both) == 3 and both.names == ["a", "b", "c"]
    assert both.age.tolist() == [5, 60, 33] and both.gender.tolist() == [0, 1, 1]
    assert both.images[2].eq(1).all()


@pytest.fixture
def faces_pack(tmp_path):
    return utkface_pack(tmp_path / "faces.npz", side=32)


def test_judge_recipe_trains_on_decodes_from_the_shipped_judge_and_reports_them(faces_pack, tmp_path, capsys):
    from latent_studio.models.train import main

    out = tmp_path / "run"
    shipped = WEIGHTS / FACE_ATTRIBUTES.weights_file
    argv = ["face-attributes", "--data", str(faces_pack), "--out", str(out), "--max-steps", "2", "--device", "cpu"]
    assert main([*argv, "--batch-size", "4", "--size", "64", "--decodes", "--init", str(shipped), "--lr", "0"]) == 0
    printed = capsys.readouterr().out
    assert "+ 12 reconstructions of them (shipped VAE)" in printed and "24 train faces" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["decodes"] is True and metrics["init"] == str(shipped)
    assert set(metrics["val_decodes"]) == {"gender_acc", "young_old_acc", "age_mae_years"}
    trained, start = load_file(out / "model.safetensors"), load_file(shipped)
    assert trained.keys() == start.keys()
    learned = [k for k in start if k.endswith(("weight", "bias"))]  # (batch-norm statistics follow the data)
    assert max(float((trained[k] - start[k]).abs().max()) for k in learned) < 1e-2  # lr ~0: still the shipped judge


def test_judge_init_that_does_not_fit_fails_loudly(faces_pack, tmp_path):
    from latent_studio.models.train import main

    wrong = WEIGHTS / VAE.weights_file
    argv = ["face-attributes", "--data", str(faces_pack), "--out", str(tmp_path / "run"), "--max-steps", "1"]
    with pytest.raises(SystemExit, match=f"--init {wrong} does not fit the face-attributes judge"):
        main([*argv, "--device", "cpu", "--batch-size", "4", "--size", "64", "--init", str(wrong)])
