"""Training state in safetensors, written and read the same way by every recipe.

Writes are atomic (a temporary file, then a rename), so a run killed mid-write keeps its previous checkpoint.
A checkpoint holds several modules under prefixes ("generator.", "ema.", ...) and string metadata (step,
seconds, ...); inference weights hold one module with exactly its state_dict keys, in fp32.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file


def _to_cpu(value: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    value = value.detach()
    return (value.to(dtype) if value.is_floating_point() else value).contiguous().cpu()


def save_tensors(path: Path, tensors: dict[str, torch.Tensor], meta: dict | None = None) -> None:
    tmp = path.with_name(path.name + ".part")
    save_file(tensors, str(tmp), metadata={k: str(v) for k, v in (meta or {}).items()})
    os.replace(tmp, path)


def save_weights(path: Path, module: torch.nn.Module, meta: dict | None = None) -> None:
    """One module, keys exactly its state_dict, floating tensors in fp32."""
    save_tensors(path, {k: _to_cpu(v, torch.float32) for k, v in module.state_dict().items()}, meta)


def save_modules(
    path: Path, modules: dict[str, torch.nn.Module], meta: dict, dtype: torch.dtype = torch.float32
) -> None:
    """Every module's weights under its prefix ("" for a lone module's own keys), floating tensors in `dtype`,
    plus string metadata."""
    tensors = {
        (f"{prefix}.{key}" if prefix else key): _to_cpu(value, dtype)
        for prefix, module in modules.items()
        for key, value in module.state_dict().items()
    }
    save_tensors(path, tensors, meta)


def read_metadata(path: Path) -> dict[str, str]:
    with safe_open(str(path), framework="pt") as handle:
        return dict(handle.metadata() or {})


def load_modules(path: Path, modules: dict[str, torch.nn.Module]) -> dict[str, str]:
    """Restore modules saved by `save_modules` (strictly); returns the metadata ({} when there is no file)."""
    if not path.is_file():
        return {}
    meta = read_metadata(path)
    tensors = load_file(str(path))
    for prefix, module in modules.items():
        if not prefix:
            module.load_state_dict(tensors, strict=True)
            continue
        own = {key[len(prefix) + 1 :]: value for key, value in tensors.items() if key.startswith(prefix + ".")}
        module.load_state_dict(own, strict=True)
    return meta
