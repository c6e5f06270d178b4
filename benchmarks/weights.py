"""The weights the benchmark runs: the shipped files where they exist, random-init stand-ins where not.

Speed does not depend on the weights' values, so a model whose file has not shipped yet is still measured,
built from its spec's default config with a fixed seed and written (with a manifest entry) into a temporary
folder that mirrors weights/. Every benchmark subprocess points LATENT_STUDIO_WEIGHTS at that folder, so
the app's own code paths (registry, sha256 check, batch settings keys) run unchanged.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

from latent_studio.models.manifest import WEIGHTS_ENV, read_manifest, sha256_of, weights_dir, write_manifest
from latent_studio.models.registry import Registry
from latent_studio.models.vae.spec import DIRECTIONS_FILE

#: Models the benchmark measures, in table order.
MODEL_NAMES = ("colorizer", "colorizer-l2", "sketch", "vae", "face-attributes")
FINETUNE_BASES = ("sketch-face", "sketch-clothing")  # the sketch subjects' generators (the finetune section)
SHIPPED, RANDOM = "shipped", "random init"


def prepare_weights(folder: Path) -> dict[str, str]:
    """Fill `folder` with a manifest and one file per model (or asset); returns name -> SHIPPED / RANDOM."""
    folder.mkdir(parents=True, exist_ok=True)
    specs = Registry(folder)  # only for its specs: the process-wide registry must be created after the env is set
    shipped = read_manifest(weights_dir())["files"]
    manifest = {"format": 1, "files": {}}
    sources: dict[str, str] = {}
    for name in (*MODEL_NAMES, *FINETUNE_BASES):
        spec = specs.spec(name)
        sources[name] = _copy_or_build(
            spec.weights_file, shipped, folder, manifest, lambda spec=spec: _random_model(spec)
        )
    sources[DIRECTIONS_FILE] = _copy_or_build(DIRECTIONS_FILE, shipped, folder, manifest, _random_directions)
    write_manifest(manifest, folder)
    os.environ[WEIGHTS_ENV] = str(folder)
    return sources


def _copy_or_build(file_name: str, shipped: dict, folder: Path, manifest: dict, build) -> str:
    source = weights_dir() / file_name
    entry = shipped.get(file_name)
    if entry is not None and source.is_file() and sha256_of(source) == entry.get("sha256"):
        shutil.copyfile(source, folder / file_name)
        manifest["files"][file_name] = entry
        return SHIPPED
    tensors, metadata, config = build()
    save_file(tensors, str(folder / file_name), metadata=metadata)
    manifest["files"][file_name] = {"sha256": sha256_of(folder / file_name), "config": config}
    return RANDOM


def _random_model(spec) -> tuple[dict, dict, dict]:
    torch.manual_seed(0)
    model = spec.build()
    state = {key: value.detach().clone().contiguous() for key, value in model.state_dict().items()}
    return state, {}, dict(spec.default_config)


def _random_directions() -> tuple[dict, dict, dict]:
    """A few random unit directions for the VAE's latent space (what the slider benchmark moves along)."""
    from latent_studio.models.vae.directions import DirectionSet

    dim = int(Registry().spec("vae").default_config.get("latent_dim", 128))
    generator = torch.Generator().manual_seed(0)
    vectors = torch.randn(4, dim, generator=generator)
    vectors = vectors / vectors.norm(dim=1, keepdim=True)
    names = ["young", "smile", "pca1", "pca2"]
    directions = DirectionSet(
        names,
        ["attribute", "attribute", "pca", "pca"],
        [""] * 4,
        vectors,
        torch.ones(4),
        torch.zeros(dim),
        torch.eye(dim),
    )
    tensors, metadata = directions.to_tensors()
    return tensors, metadata, {}
