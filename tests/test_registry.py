"""The model registry: checksums, strict loading, caching, clear errors; and every shipped file vs the manifest."""

from __future__ import annotations

import json
import re

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from latent_studio.models.errors import WeightsError
from latent_studio.models.manifest import read_manifest, sha256_of, weights_dir, write_manifest
from latent_studio.models.registry import ModelSpec, Registry


class TinyNet(nn.Module):
    def __init__(self, channels: int = 4) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


SPEC = ModelSpec(
    name="tiny",
    architecture="tests.test_registry:TinyNet",
    weights_file="tiny-v1.safetensors",
    input_size=16,
    version="1",
    description="a test net",
    default_config={"channels": 4},
)


@pytest.fixture()
def folder(tmp_path):
    torch.manual_seed(0)
    save_file(TinyNet(4).state_dict(), tmp_path / SPEC.weights_file)
    entry = {"sha256": sha256_of(tmp_path / SPEC.weights_file), "config": {"channels": 4}}
    write_manifest({"format": 1, "files": {SPEC.weights_file: entry}}, tmp_path)
    return tmp_path


def test_loads_in_eval_mode_without_gradients_and_caches(folder):
    registry = Registry(folder, {"tiny": SPEC})
    model = registry.load_model("tiny")
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    assert registry.load_model("tiny") is model
    assert model(torch.rand(1, 3, 8, 8)).shape == (1, 4, 8, 8)


def test_corrupt_file_is_refused_with_its_name(folder):
    path = folder / SPEC.weights_file
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match=r"tiny-v1\.safetensors is corrupt: its sha256 is"):
        Registry(folder, {"tiny": SPEC}).load_model("tiny")


def test_missing_file(folder):
    (folder / SPEC.weights_file).unlink()
    with pytest.raises(WeightsError, match=r"tiny-v1\.safetensors is missing"):
        Registry(folder, {"tiny": SPEC}).load_model("tiny")


def test_unlisted_file(folder):
    write_manifest({"format": 1, "files": {}}, folder)
    with pytest.raises(WeightsError, match=r"is not listed in weights/manifest\.json"):
        Registry(folder, {"tiny": SPEC}).load_model("tiny")


def test_wrong_architecture_is_a_clear_error(folder):
    manifest = read_manifest(folder)
    manifest["files"][SPEC.weights_file]["config"] = {"channels": 8}
    write_manifest(manifest, folder)
    with pytest.raises(WeightsError, match=r"does not fit the tiny architecture"):
        Registry(folder, {"tiny": SPEC}).load_model("tiny")


def test_pickle_file_is_not_loaded(folder):
    path = folder / SPEC.weights_file
    torch.save(TinyNet(4).state_dict(), path)  # a pickle with the right name and checksum
    manifest = read_manifest(folder)
    manifest["files"][SPEC.weights_file]["sha256"] = sha256_of(path)
    write_manifest(manifest, folder)
    with pytest.raises(WeightsError, match=r"cannot be read as safetensors"):
        Registry(folder, {"tiny": SPEC}).load_model("tiny")


def test_unknown_model_name(folder):
    with pytest.raises(WeightsError, match=r"There is no model called 'nope' \(known models: tiny\)\."):
        Registry(folder, {"tiny": SPEC}).load_model("nope")


def test_every_shipped_file_matches_its_manifest_entry():
    """As torchvision's schema test: every file in weights/ is listed, and every entry is complete and true."""
    folder = weights_dir()
    manifest = json.loads((folder / "manifest.json").read_text())
    shipped = {p.name for p in folder.iterdir() if p.name != "manifest.json"}
    assert shipped == set(manifest["files"]), "weights/ and weights/manifest.json disagree"
    for name, entry in manifest["files"].items():
        assert name.endswith(".safetensors")
        assert entry["sha256"] == sha256_of(folder / name), name
        assert entry["bytes"] == (folder / name).stat().st_size, name
        for field in ("parameters", "training_data", "training_command", "metrics"):
            assert entry.get(field), f"{name}: manifest field '{field}' is empty"


def test_channels_last_spec_loads_channels_last_weights(folder):
    from dataclasses import replace

    spec = replace(SPEC, channels_last=True)
    model = Registry(folder, {"tiny": spec}).load_model("tiny")
    assert model.conv.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.rand(1, 3, 8, 8)
    assert torch.allclose(model(x), Registry(folder, {"tiny": SPEC}).load_model("tiny")(x), atol=1e-6)


def test_load_trained_reads_the_config_beside_the_run_file(folder, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    save_file(TinyNet(6).state_dict(), run / "model.safetensors")
    (run / "config.json").write_text(json.dumps({"channels": 6}))
    registry = Registry(folder, {"tiny": SPEC})
    model = registry.load_trained("tiny", run / "model.safetensors")
    assert model.conv.out_channels == 6 and not model.training
    with pytest.raises(WeightsError) as info:
        registry.load_trained("tiny", run / "missing.safetensors")
    assert str(info.value) == f"Weights file {run / 'missing.safetensors'} does not exist."


def test_register_refuses_a_duplicate_name():
    from latent_studio.models.registry import SPECS, default_registry, register

    default_registry().spec("colorizer")  # the built-in specs are registered
    shipped = SPECS["colorizer"]
    with pytest.raises(ValueError, match="A model called 'colorizer' is already registered"):
        register(ModelSpec(**{**shipped.__dict__, "architecture": "tests.test_registry:TinyNet"}))
    assert SPECS["colorizer"] is shipped  # not replaced


def test_the_registry_picks_the_dtype_fp16_only_on_cuda_where_the_spec_allows():
    from dataclasses import replace

    from latent_studio.models.registry import choose_dtype

    full_only = replace(SPEC, half_precision=False)
    assert choose_dtype(SPEC, torch.device("cuda")) == torch.float16
    assert choose_dtype(SPEC, "cuda:1") == torch.float16
    assert choose_dtype(SPEC, "cuda", half_precision=False) == torch.float32  # the user asked for full precision
    assert choose_dtype(full_only, "cuda") == torch.float32  # the spec does not allow fp16
    assert choose_dtype(SPEC, "cpu") == torch.float32
    assert choose_dtype(SPEC, "mps") == torch.float32


def test_callers_pass_no_dtype_of_their_own(folder):
    model = Registry(folder, {"tiny": SPEC}).load_model("tiny", "cpu", half_precision=True)
    assert next(model.parameters()).dtype == torch.float32  # fp16 asked for, but this is the CPU


def test_a_renamed_architecture_module_fails_loudly(folder):
    """The one module path left as a string (a spec's architecture) is imported without swallowing the error."""
    from dataclasses import replace

    renamed = replace(SPEC, architecture="tests.no_such_module:TinyNet")
    with pytest.raises(ModuleNotFoundError, match=re.escape("tests.no_such_module")):
        Registry(folder, {"tiny": renamed}).load_model("tiny")
