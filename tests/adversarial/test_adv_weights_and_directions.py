"""Damaged weights and a messy user-directions folder: every bad file is named, none stops the others.

`info --verify` checks every weights file and names each bad one (exit 2); an empty or foreign
`.safetensors` in the user's directions folder is skipped with a warning naming it; a user direction named
like a shipped one is refused by `define-direction` and, found on disk, loaded as `user:NAME`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

import latent_studio.models.registry
from latent_studio.app.cli import main
from latent_studio.app.core.latent import LatentEditor
from latent_studio.models.manifest import read_manifest, sha256_of, write_manifest
from latent_studio.models.registry import Registry
from latent_studio.models.vae.directions import DirectionSet


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- info --verify ------------------------------------------------------------------------------------------


def test_verify_names_every_bad_file_not_only_the_first(tmp_path, monkeypatch, capsys):
    weights = tmp_path / "weights"
    weights.mkdir()
    manifest = {"format": 1, "files": {}}
    for name in ("a.safetensors", "b.safetensors", "c.safetensors"):
        save_file({"w": torch.arange(4.0)}, str(weights / name))
        manifest["files"][name] = {"sha256": sha256_of(weights / name), "parameters": 4, "bytes": 100}
    write_manifest(manifest, weights)
    (weights / "a.safetensors").write_bytes(b"")  # corrupt
    (weights / "c.safetensors").unlink()  # missing
    monkeypatch.setattr(latent_studio.models.registry, "_DEFAULT", Registry(weights))
    code, out, err = cli(["info", "--device", "cpu", "--verify"], capsys)
    assert code == 2
    assert "a.safetensors: 0.00 M parameters, 0.0 MiB, FAILED" in out
    assert "b.safetensors: 0.00 M parameters, 0.0 MiB, sha256 ok" in out
    assert "c.safetensors: 0.00 M parameters, 0.0 MiB, FAILED" in out
    empty = sha256_of(weights / "a.safetensors")[:12]
    expected = manifest["files"]["a.safetensors"]["sha256"][:12]
    assert err == (
        f"latent-studio: error: Weights file {weights / 'a.safetensors'} is corrupt: its sha256 is {empty}..., "
        f"the manifest expects {expected}....\n"
        f"latent-studio: error: Weights file {weights / 'c.safetensors'} is missing; "
        f"reinstall Latent Studio or re-run its training recipe.\n"
    )


def test_verify_all_of_the_shipped_weights_is_clean():
    results = latent_studio.models.registry.default_registry().verify_all()
    assert set(results) == set(read_manifest()["files"]) and not any(results.values())


# --- the user's directions folder ----------------------------------------------------------------------------


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "directions"
    folder.mkdir()
    monkeypatch.setenv("LATENT_STUDIO_DIRECTIONS", str(folder))
    return folder


@pytest.fixture(scope="module")
def shipped_editor() -> LatentEditor:
    return LatentEditor.load(user_dir=Path("/nonexistent-latent-studio-user-dir"))


def _user_file(editor: LatentEditor, folder: Path, name: str, file_stem: str | None = None) -> Path:
    """A valid user direction file made for the shipped VAE."""
    base = editor.directions
    vector = torch.randn(1, editor.latent_dim, generator=torch.Generator().manual_seed(3))
    single = DirectionSet(
        [name],
        ["user"],
        [f"test direction {name}"],
        vector,
        torch.ones(1),
        base.code_mean,
        base.code_covariance,
        {"vae": editor.fingerprint},
    )
    return single.save(folder / f"{file_stem or name}.safetensors")


def test_empty_and_foreign_files_are_skipped_with_a_warning(user_dir, shipped_editor, tmp_path, capsys, caplog):
    (user_dir / "empty.safetensors").write_bytes(b"")
    save_file({"weight": torch.zeros(3)}, str(user_dir / "foreign.safetensors"))
    with open(user_dir / "huge.safetensors", "wb") as handle:
        handle.truncate(20 * 2**20)  # sparse: never read
    _user_file(shipped_editor, user_dir, "smiling")
    with caplog.at_level(logging.WARNING):
        code, out, _ = cli(["edit", "--list", "--device", "cpu"], capsys)
    assert code == 0
    assert any(line.startswith("smiling ") for line in out.splitlines())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(w.startswith("Skipping user direction empty.safetensors: it is not a direction file") for w in warnings)
    assert any(
        w.startswith("Skipping user direction foreign.safetensors: it is not a direction file") for w in warnings
    )
    assert (
        "Skipping user direction huge.safetensors: it is not a direction file Latent Studio can read "
        "(20 MB, far larger than a direction)." in warnings
    )
    # and an edit with the good user direction still runs
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)).save(tmp_path / "in.png")
    assert (
        cli(
            [
                "edit",
                tmp_path / "in.png",
                tmp_path / "out.png",
                "--attr",
                "smiling=1",
                "--box",
                "0,0,6,6",
                "--device",
                "cpu",
            ],
            capsys,
        )[0]
        == 0
    )


def test_a_user_file_named_like_a_shipped_direction_is_loaded_as_user_name(
    user_dir, shipped_editor, tmp_path, capsys, caplog
):
    _user_file(shipped_editor, user_dir, "young")
    with caplog.at_level(logging.WARNING):
        code, out, _ = cli(["edit", "--list", "--device", "cpu"], capsys)
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert "young" in names and "user:young" in names
    assert (
        "User direction young.safetensors is named like the shipped direction 'young': it is loaded as 'user:young'."
        in [r.getMessage() for r in caplog.records]
    )
    editor = LatentEditor.load(user_dir=user_dir)
    shipped = editor.directions.index("young")
    assert editor.directions.kinds[shipped] == "attribute"  # the shipped one is not replaced
    assert torch.equal(
        editor.directions.vectors[shipped], shipped_editor.directions.vectors[shipped_editor.directions.index("young")]
    )


def test_define_direction_with_a_shipped_name_is_refused(user_dir, tmp_path, capsys):
    for name in ("with", "without"):
        (tmp_path / name).mkdir()
    code, out, err = cli(
        [
            "define-direction",
            "young",
            "--with",
            tmp_path / "with",
            "--without",
            tmp_path / "without",
            "--device",
            "cpu",
        ],
        capsys,
    )
    assert (code, out) == (2, "")
    assert (
        err
        == "latent-studio: error: 'young' is the name of a shipped direction; choose another name for your direction.\n"
    )
    assert list(user_dir.iterdir()) == []
