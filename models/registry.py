"""The one model registry: name -> architecture, weights file, sha256, input size, version.

Models load lazily, once per (name, device, dtype), from safetensors (no pickle), strictly, in eval mode
with gradients off, after the file's sha256 is checked against weights/manifest.json. Every failure is a
`WeightsError` that names the file, never a traceback from inside torch. The registry alone decides a model's
dtype (`choose_dtype`): callers say only whether half precision is wanted (the user's setting).
"""

from __future__ import annotations

import importlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from latent_studio.models.errors import WeightsError
from latent_studio.models.manifest import manifest_path, read_manifest, sha256_of, weights_dir


@dataclass(frozen=True)
class ModelSpec:
    """What the code knows about a model; checksums, config and metrics live in the manifest."""

    name: str
    architecture: str  # "package.module:ClassName"
    weights_file: str
    input_size: int
    version: str
    description: str
    default_config: dict = field(default_factory=dict)
    half_precision: bool = True  # safe to run in fp16 on CUDA
    channels_last: bool = False  # weights in channels_last: measured 1.3-1.6x faster for the small 64x64 nets on CPU

    def build(self, config: dict | None = None) -> nn.Module:
        module_name, class_name = self.architecture.split(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        return cls(**(config if config is not None else self.default_config))


#: Every shipped model and asset. Assets are tensor files (e.g. latent directions) with no architecture.
SPECS: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add a spec to the shipped ones; a second spec under a taken name is refused (never silently replaced)."""
    if spec.name in SPECS:
        raise ValueError(f"A model called '{spec.name}' is already registered ({SPECS[spec.name].architecture}).")
    SPECS[spec.name] = spec
    return spec


def choose_dtype(spec: ModelSpec, device: torch.device | str, half_precision: bool = True) -> torch.dtype:
    """The one dtype rule: fp16 on CUDA where the spec allows it and half precision is wanted; fp32 on the CPU
    and MPS (fp16 there is slower and less precise) and for specs that need full precision."""
    if half_precision and spec.half_precision and torch.device(device).type == "cuda":
        return torch.float16
    return torch.float32


class Registry:
    """Loads and caches models from one weights folder (the shipped one, or a test's)."""

    def __init__(self, folder: Path | None = None, specs: dict[str, ModelSpec] | None = None) -> None:
        self.folder = Path(folder) if folder is not None else weights_dir()
        self.specs = specs if specs is not None else SPECS
        self._cache: dict[tuple, nn.Module] = {}
        self._tensor_cache: dict[str, dict[str, torch.Tensor]] = {}
        self._lock = threading.Lock()

    def spec(self, name: str) -> ModelSpec:
        _ensure_builtin_specs()
        try:
            return self.specs[name]
        except KeyError:
            known = ", ".join(sorted(self.specs)) or "none"
            raise WeightsError(f"There is no model called '{name}' (known models: {known}).") from None

    def entry(self, file_name: str) -> dict:
        """The manifest entry of a weights file (raises WeightsError if it is not listed)."""
        if not manifest_path(self.folder).is_file():
            raise WeightsError(
                f"No shipped weights in {self.folder}: its manifest.json is missing, so the installation is "
                "incomplete. Reinstall Latent Studio (pip install --force-reinstall latent-studio, or `make venv` in a "
                "checkout), or set LATENT_STUDIO_WEIGHTS to a folder that holds the weights and their manifest.json."
            )
        entry = read_manifest(self.folder)["files"].get(file_name)
        if entry is None:
            raise WeightsError(f"Weights file {self.folder / file_name} is not listed in weights/manifest.json.")
        return entry

    def load_model(self, name: str, device: torch.device | str = "cpu", half_precision: bool = False) -> nn.Module:
        """The model `name` on `device` in the dtype `choose_dtype` picks, loaded once and cached."""
        device = torch.device(device)
        spec = self.spec(name)
        dtype = choose_dtype(spec, device, half_precision)
        key = (name, str(device), dtype)
        with self._lock:
            model = self._cache.get(key)
            if model is None:
                entry = self.entry(spec.weights_file)
                state = self._read_verified(spec.weights_file, entry)
                model = spec.build(entry.get("config", spec.default_config))
                try:
                    model.load_state_dict(state, strict=True)
                except RuntimeError as error:
                    first = str(error).splitlines()[0]
                    path = self.folder / spec.weights_file
                    raise WeightsError(f"Weights file {path} does not fit the {name} architecture ({first}).") from None
                model = model.to(device=device, dtype=dtype).eval().requires_grad_(False)
                if spec.channels_last:
                    model = model.to(memory_format=torch.channels_last)
                self._cache[key] = model
            return model

    def load_trained(
        self, name: str, weights: Path, device: torch.device | str = "cpu", config: dict | None = None
    ) -> nn.Module:
        """A trained file that is not shipped (yet), e.g. a run's model.safetensors, for evaluation before shipping.

        The architecture config is `config`, else the config.json the recipe wrote beside the file, else the
        spec's default. Not cached and not checksummed: there is no manifest entry to check it against.
        """
        weights = Path(weights)
        if not weights.is_file():
            raise WeightsError(f"Weights file {weights} does not exist.")
        beside = weights.with_name("config.json")
        if config is None:
            config = json.loads(beside.read_text()) if beside.is_file() else self.spec(name).default_config
        model = self.spec(name).build(config)
        model.load_state_dict(load_file(str(weights), device="cpu"), strict=True)
        return model.to(device).eval().requires_grad_(False)

    def load_user_file(
        self,
        spec_name: str,
        path: Path,
        sha256: str,
        config: dict,
        device: torch.device | str = "cpu",
        half_precision: bool = False,
    ) -> nn.Module:
        """A user's own model (a fine-tuned copy of the shipped `spec_name`, kept outside weights/): verified
        against `sha256` from the user-model manifest like a shipped file, loaded strictly, cached by
        (path, sha256, device, dtype), so a retrained file under the same name is never served stale."""
        path, device = Path(path), torch.device(device)
        dtype = choose_dtype(self.spec(spec_name), device, half_precision)
        key = ("user", str(path), sha256, str(device), dtype)
        with self._lock:
            model = self._cache.get(key)
            if model is None:
                state = self._read_verified_path(path, {"sha256": sha256})
                model = self.spec(spec_name).build(config)
                try:
                    model.load_state_dict(state, strict=True)
                except RuntimeError as error:
                    first = str(error).splitlines()[0]
                    raise WeightsError(
                        f"Weights file {path} does not fit the {spec_name} architecture ({first})."
                    ) from None
                model = model.to(device=device, dtype=dtype).eval().requires_grad_(False)
                self._cache[key] = model
            return model

    def load_tensors(self, file_name: str) -> dict[str, torch.Tensor]:
        """A verified tensor asset (e.g. latent directions) listed in the manifest, on the CPU."""
        with self._lock:
            tensors = self._tensor_cache.get(file_name)
            if tensors is None:
                tensors = self._read_verified(file_name, self.entry(file_name))
                self._tensor_cache[file_name] = tensors
            return tensors

    def verify(self, file_name: str) -> None:
        """Check one listed file's sha256 and format (raises WeightsError)."""
        self._read_verified(file_name, self.entry(file_name))

    def verify_all(self) -> dict[str, WeightsError | None]:
        """Every listed file checked, in name order: None if it is sound, else its error (one bad file does not
        hide the next)."""
        results: dict[str, WeightsError | None] = {}
        for file_name in sorted(read_manifest(self.folder)["files"]):
            try:
                self.verify(file_name)
                results[file_name] = None
            except WeightsError as error:
                results[file_name] = error
        return results

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._tensor_cache.clear()

    def _read_verified(self, file_name: str, entry: dict) -> dict[str, torch.Tensor]:
        return self._read_verified_path(self.folder / file_name, entry)

    def _read_verified_path(self, path: Path, entry: dict) -> dict[str, torch.Tensor]:
        if not path.is_file():
            raise WeightsError(
                f"Weights file {path} is missing; reinstall Latent Studio or re-run its training recipe."
            )
        actual = sha256_of(path)
        if actual != entry.get("sha256"):
            raise WeightsError(
                f"Weights file {path} is corrupt: its sha256 is {actual[:12]}..., "
                f"the manifest expects {str(entry.get('sha256'))[:12]}...."
            )
        try:
            return load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as error:
            raise WeightsError(f"Weights file {path} cannot be read as safetensors ({error}).") from None


def _ensure_builtin_specs() -> None:
    """Import the model packages' spec modules, each named explicitly (cheap: they do not import the networks; a
    renamed or missing one fails here, loudly). Imported on first use, not at the top: they import this module."""
    from latent_studio.models.colorizer import spec as _colorizer  # noqa: F401
    from latent_studio.models.faces import spec as _faces  # noqa: F401
    from latent_studio.models.sketch import spec as _sketch  # noqa: F401
    from latent_studio.models.vae import spec as _vae  # noqa: F401


_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry over the shipped weights folder."""
    global _DEFAULT  # noqa: PLW0603 -- one per process, made on first use; tests swap it through _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Registry()
    return _DEFAULT


def load_model(name: str, device: torch.device | str = "cpu", half_precision: bool = False) -> nn.Module:
    return default_registry().load_model(name, device, half_precision)


def load_tensors(file_name: str) -> dict[str, torch.Tensor]:
    return default_registry().load_tensors(file_name)
