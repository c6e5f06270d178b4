"""Latent editing with the face VAE, headless: encode, decode, edit with sliders, interpolate, sample, define
directions from the user's own pictures, and paste an edited face back into its photo.

Codes are float32 tensors on the CPU (cheap to keep, compare and blend whatever device the model runs on):
the D latent values, and for a face refined on its photo (see `encode`) the face's flattened detail map
after them. Sliders move only the first D values; blends mix both parts linearly (a code without detail has
zero detail); decoding splits them again. Encoding is deterministic: the encoder's posterior mean refined
by a fixed number of optimiser steps from it, never a sample. Sliders are in sigma units: moving
"young" by +1 adds one standard deviation of the training codes along the young direction. Directions come
from the shipped asset (attribute and PCA directions) plus the user's own, saved as small safetensors files
in `user_directions_dir()`. Every user-caused failure is a LatentStudioError with a full sentence.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError

from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.faces import Box, FaceCrop, crop_face
from latent_studio.app.core.faces import paste_back as _paste_back
from latent_studio.app.core.imageio import load_image, rgb8
from latent_studio.app.core.jobs import Progress
from latent_studio.models.datapack import list_images
from latent_studio.models.errors import LatentStudioError
from latent_studio.models.vae.directions import DirectionSet, mean_difference
from latent_studio.models.vae.network import FaceVAE
from latent_studio.models.vae.spec import DIRECTIONS_FILE

USER_DIRECTIONS_ENV = "LATENT_STUDIO_DIRECTIONS"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
MAX_SLIDER = 10.0  # sigmas either way (the window's sliders stop at 3; far beyond, the decoder draws no face)
MAX_INTERPOLATION_STEPS = 256
USER_PREFIX = "user:"  # a user file's direction named like a shipped one is loaded under this prefix
MAX_USER_FILE_BYTES = 16 * 2**20  # a direction file is ~0.1 MB; anything far larger in the folder is not one
log = logging.getLogger(__name__)


class UnknownDirectionError(LatentStudioError):
    """A slider names a direction that neither the shipped asset nor the user's folder has."""


def user_directions_dir() -> Path:
    """Where user-defined directions live ($LATENT_STUDIO_DIRECTIONS, else the XDG data folder)."""
    if os.environ.get(USER_DIRECTIONS_ENV):
        return Path(os.environ[USER_DIRECTIONS_ENV])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "latent-studio" / "directions"


def parse_sliders(items: list[str]) -> dict[str, float]:
    """["young=+1.5", ...] -> {"young": 1.5}: the `--attr` syntax of `edit` and `batch edit`.

    The syntax and the amounts (finite, within +-MAX_SLIDER) are checked here; unknown names are caught by
    `LatentEditor.offset`, which knows the installed directions. A bad item is a LatentStudioError.
    """
    sliders: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            amount = float(value)
        except ValueError:
            raise LatentStudioError(
                f"--attr '{item}' is not NAME=VALUE with a number (e.g. --attr young=+1.5)."
            ) from None
        if not _slider_ok(amount):
            raise LatentStudioError(
                f"--attr '{item}': the amount must be a number from -{MAX_SLIDER:g} to +{MAX_SLIDER:g} (sigmas)."
            )
        sliders[name.strip()] = amount
    return sliders


def _slider_ok(amount: float) -> bool:
    return math.isfinite(amount) and abs(amount) <= MAX_SLIDER


@dataclass(frozen=True)
class EncodedFace:
    """A photo's face: its code (D,) and the crop it came from (box, detection note)."""

    code: torch.Tensor
    crop: FaceCrop


class LatentEditor:
    """The VAE plus its directions on one device; every method is a plain synchronous call.

    `refine_steps` (default `models.vae.refine.STEPS`, ~1-2 s on a CPU) is how many optimiser steps `encode`
    spends fitting each photo's face; 0 keeps the encoder's guess (faster, less like the person).
    """

    def __init__(
        self,
        vae: FaceVAE,
        directions: DirectionSet | None = None,
        user_dir: Path | None = None,
        refine_steps: int | None = None,
    ) -> None:
        from latent_studio.models.vae.refine import STEPS

        self.vae = vae
        parameter = next(vae.parameters())
        self.device, self.dtype = parameter.device, parameter.dtype
        self.size = int(vae.image_size)
        self.latent_dim = int(vae.latent_dim)
        self.detail_shape = tuple(vae.detail_shape())
        self.refine_steps = STEPS if refine_steps is None else int(refine_steps)
        self.user_dir = Path(user_dir) if user_dir is not None else user_directions_dir()
        self.directions = directions
        self._sampling_factor: torch.Tensor | None = None
        self.fingerprint = model_fingerprint(vae)
        for path in sorted(self.user_dir.glob("*.safetensors")) if self.user_dir.is_dir() else []:
            extra = self._read_user_file(path)
            if extra is not None:
                self._merge_user(extra, path)

    @classmethod
    def load(cls, settings: ComputeSettings | None = None, registry=None, user_dir: Path | None = None) -> LatentEditor:
        """The shipped VAE and directions through the (verified, cached) registry."""
        from latent_studio.models.registry import default_registry

        settings = settings or ComputeSettings()
        registry = registry or default_registry()
        vae = registry.load_model("vae", settings.torch_device, settings.half_precision)
        if not isinstance(vae, FaceVAE):
            raise LatentStudioError("The shipped 'vae' model is not a face VAE.")
        directions = DirectionSet.from_tensors(registry.load_tensors(DIRECTIONS_FILE))
        return cls(vae, directions, user_dir)

    # --- codes <-> pictures ------------------------------------------------------------------------

    def direction_names(self) -> list[str]:
        return list(self.directions.names) if self.directions is not None else []

    @torch.no_grad()
    def encode_faces(self, faces: np.ndarray) -> torch.Tensor:
        """(N,S,S,3) or (S,S,3) uint8 faces already in the model's framing -> (N,D) or (D,) codes."""
        single = faces.ndim == 3
        batch = _face_batch(faces)
        with self._few_threads(batch.shape[0]):
            codes = self.vae.encode(batch.to(self.device, self.dtype) / 255).float().cpu()
        return codes[0] if single else codes

    def encode(
        self,
        pixels: np.ndarray,
        box: Box | None = None,
        progress: Progress | None = None,
        refine: bool = True,
        exact_box: bool = False,
    ) -> EncodedFace:
        """A photo (any size, uint8/16, RGB/RGBA) -> its face's code; the face is looked for in `box`, or,
        with `exact_box`, the box is the face's framing as it is (see `faces.locate_face`).

        With `refine` (and `refine_steps` > 0) the code and a detail map are fitted to this face, so what
        comes back is this person rather than the encoder's guess; `progress` follows the steps and can
        cancel them.
        """
        crop = crop_face(rgb8(pixels), self.size, box, exact_box)
        if not refine or self.refine_steps <= 0:
            return EncodedFace(self.encode_faces(crop.pixels), crop)
        return EncodedFace(self.refine_faces(crop.pixels, progress)[0], crop)

    def refine_faces(self, faces: np.ndarray, progress: Progress | None = None) -> torch.Tensor:
        """(N,S,S,3) or (S,S,3) uint8 faces in the model's framing -> (N, D + detail) refined codes."""
        from latent_studio.models.vae.refine import refine

        batch = _face_batch(faces)
        report = (lambda fraction: progress.report(fraction, "fitting the face")) if progress is not None else None
        with self._few_threads(batch.shape[0]):
            fitted = refine(self.vae, batch.to(self.device, torch.float32) / 255, self.refine_steps, progress=report)
        return torch.cat([fitted.codes.float().cpu(), fitted.details.flatten(1).float().cpu()], dim=1)

    def split(self, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(N, D[+detail]) codes -> the latent part (N, D) and the detail maps (N, C, H, W) or None."""
        if codes.shape[1] == self.latent_dim:
            return codes, None
        if codes.shape[1] != self.latent_dim + math.prod(self.detail_shape):
            raise LatentStudioError(f"A face code of {codes.shape[1]} values does not fit this face model.")
        return codes[:, : self.latent_dim], codes[:, self.latent_dim :].reshape(-1, *self.detail_shape)

    @contextlib.contextmanager
    def _few_threads(self, count: int) -> Iterator[None]:
        """Fast CPU settings for a few small images, on the calling thread.

        The trained decoder's activations hit denormal floats, which x86 CPUs process ~40x slower
        (measured: 360 ms instead of 9 ms per decode). Flushing them to zero changes no visible pixel; the
        flag lives in each thread's FPU state, so it is set here, on the thread that runs the job. One
        intra-op thread: 9 ms per decode vs 18-55 ms with 2 when the other core is busy (the GUI, other
        work), and it keeps the work on this (flushed) thread; the switch itself costs nothing.
        """
        if self.device.type != "cpu":
            yield
            return
        torch.set_flush_denormal(True)
        if count > 4:
            yield
            return
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(previous)

    @torch.no_grad()
    def decode(self, code: torch.Tensor) -> np.ndarray:
        """(D[+detail],) -> (S,S,3) uint8, or (N, D[+detail]) -> (N,S,S,3) uint8."""
        single = code.dim() == 1
        latent, detail = self.split(code[None] if single else code)
        with self._few_threads(1 if single else code.shape[0]):
            detail = detail.to(self.device, self.dtype) if detail is not None else None
            images = self.vae.decode(latent.to(self.device, self.dtype), detail).float()
        pixels = images.clamp(0, 1).mul(255).add(0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        return pixels[0] if single else pixels

    # --- moving in code space ----------------------------------------------------------------------

    def offset(self, sliders: Mapping[str, float]) -> torch.Tensor:
        """Sum of slider * sigma * direction (D,); unknown names raise UnknownDirectionError."""
        total = torch.zeros(self.latent_dim)
        for name, amount in sliders.items():
            names = self.direction_names()
            if self.directions is None or name not in names:
                available = ", ".join(names) or "none (no directions are installed)"
                raise UnknownDirectionError(
                    f"There is no direction called '{name}'. Available directions: {available}."
                )
            if not _slider_ok(float(amount)):
                raise LatentStudioError(
                    f"The slider '{name}' must be from -{MAX_SLIDER:g} to +{MAX_SLIDER:g} sigmas, not {amount}."
                )
            i = names.index(name)
            total += float(amount) * float(self.directions.sigmas[i]) * self.directions.vectors[i].float()
        return total

    def edit(self, code: torch.Tensor, sliders: Mapping[str, float]) -> torch.Tensor:
        """`code` moved by the sliders (in sigma units); a detail map rides along unchanged."""
        return self.move(code, self.offset(sliders))

    @staticmethod
    def move(codes: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
        """(..., D[+detail]) codes plus a (D,) offset on their latent part."""
        return codes.float() + torch.nn.functional.pad(offset, (0, codes.shape[-1] - offset.shape[-1]))

    @staticmethod
    def blend(code_a: torch.Tensor, code_b: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
        """The code `t` of the way from a to b (linear: the prior is Gaussian, codes are means; detail maps
        cross-fade, a code without one counting as zero detail)."""
        length = max(code_a.shape[-1], code_b.shape[-1])
        a = torch.nn.functional.pad(code_a.float(), (0, length - code_a.shape[-1]))
        b = torch.nn.functional.pad(code_b.float(), (0, length - code_b.shape[-1]))
        return a * (1 - t) + b * t

    @classmethod
    def interpolate(cls, code_a: torch.Tensor, code_b: torch.Tensor, steps: int) -> torch.Tensor:
        """(steps, D) codes from a to b, both ends included."""
        check_steps(steps)
        return cls.blend(code_a[None], code_b[None], torch.linspace(0, 1, steps)[:, None])

    def sample(self, seed: int, temperature: float = 0.8) -> torch.Tensor:
        """A random face code, the same for the same seed.

        Drawn from a Gaussian fitted to the training codes (the directions asset keeps their mean and
        covariance: "ex-post" density estimation, Ghosh et al. 2020), not from the N(0, I) prior: the
        trained VAE's codes sit far from the prior (mean norm ~5), so prior draws decode to noise while
        fitted draws decode to faces. `temperature` < 1 trades variety for cleaner faces.
        """
        generator = torch.Generator().manual_seed(int(seed))
        noise = torch.randn(self.latent_dim, generator=generator) * temperature
        if self.directions is None or self.directions.code_covariance.numel() == 0:
            return noise
        factor = self._sampling_factor
        if factor is None:
            cov = self.directions.code_covariance.double()
            factor = torch.linalg.cholesky(cov + 1e-5 * torch.eye(cov.shape[0], dtype=cov.dtype)).float()
            self._sampling_factor = factor
        return self.directions.code_mean.float() + factor @ noise

    # --- user directions ---------------------------------------------------------------------------

    def define_direction(
        self,
        name: str,
        folder_with: Path | str,
        folder_without: Path | str,
        progress: Progress | None = None,
        save: bool = True,
    ) -> DirectionSet:
        """A new direction from two folders of the user's pictures (with / without a property).

        Each picture's face is detected and cropped like any photo, the direction is the difference of the
        two groups' mean codes, and its sigma comes from the training codes' covariance (shipped asset), or
        from these pictures when no asset is installed. Saved to `user_dir`/NAME.safetensors if `save`.
        """
        self.check_new_name(name)
        progress = progress or Progress()
        groups = []
        for k, folder in enumerate((folder_with, folder_without)):
            groups.append(self._encode_folder(Path(folder), progress.sub(k / 2, (k + 1) / 2)))
        with_codes, without_codes = groups
        codes = torch.cat(groups)
        labels = torch.arange(len(codes)) < len(with_codes)
        vector = mean_difference(codes, labels, ~labels)
        base = self.directions if self.directions is not None else _empty_set(codes)
        description = (
            f"user: {len(with_codes)} pictures in {folder_with} minus {len(without_codes)} in {folder_without}"
        )
        updated = base.with_direction(name, vector, "user", description)
        self.directions = updated
        if save:
            single = _only(updated, name)
            single.facts["vae"] = self.fingerprint
            single.save(self.user_dir / f"{name}.safetensors")
        return updated

    def check_new_name(self, name: str) -> None:
        """Raise the user's error if `name` cannot name a new user direction (bad characters, or a shipped name)."""
        if not _NAME.match(name):
            raise LatentStudioError(
                f"'{name}' cannot be a direction name: use a letter then letters, digits, '-' or '_' (at most 40)."
            )
        if name in self._shipped_names():
            raise LatentStudioError(
                f"'{name}' is the name of a shipped direction; choose another name for your direction."
            )

    def _encode_folder(self, folder: Path, progress: Progress) -> torch.Tensor:
        if not folder.is_dir():
            raise LatentStudioError(f"Folder {folder} does not exist.")
        files = list_images(folder)
        if not files:
            raise LatentStudioError(f"Folder {folder} has no pictures (jpg, png, webp, bmp, tif).")
        codes = []
        for i, file in enumerate(files):
            progress.report(i / len(files), f"encoding {file.name}")
            codes.append(self.encode(load_image(file).pixels, refine=False).code)
        return torch.stack(codes)

    def _shipped_names(self) -> set[str]:
        if self.directions is None:
            return set()
        return {name for name, kind in zip(self.directions.names, self.directions.kinds, strict=True) if kind != "user"}

    def _read_user_file(self, path: Path) -> DirectionSet | None:
        """One file of the user's folder, or None (with a warning naming it) when it cannot be used."""
        try:
            if path.stat().st_size > MAX_USER_FILE_BYTES:
                raise ValueError(f"{path.stat().st_size / 2**20:.0f} MB, far larger than a direction")
            extra = DirectionSet.load(path)
            made_here = extra.facts.get("vae") == self.fingerprint
            fits = (
                extra.vectors.ndim == 2
                and tuple(extra.vectors.shape) == (len(extra.names), self.latent_dim)
                and len(extra.descriptions) == len(extra.names)
                and bool(torch.isfinite(extra.vectors).all())
            )
        except (
            SafetensorError,
            OSError,
            ValueError,
            KeyError,
            TypeError,
            IndexError,
            AttributeError,
            RuntimeError,
        ) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            log.warning(
                "Skipping user direction %s: it is not a direction file Latent Studio can read (%s).", path.name, reason
            )
            return None
        if not made_here:
            log.warning("Skipping user direction %s: it was made with another version of the face model.", path.name)
            return None
        if not fits:
            log.warning("Skipping user direction %s: its vectors do not fit this face model.", path.name)
            return None
        return extra

    def _merge_user(self, extra: DirectionSet, path: Path) -> None:
        shipped = self._shipped_names()
        base = self.directions if self.directions is not None else extra
        for i, given in enumerate(extra.names):
            name = given
            if given in shipped:
                log.warning(
                    "User direction %s is named like the shipped direction '%s': it is loaded as '%s%s'.",
                    path.name,
                    given,
                    USER_PREFIX,
                    given,
                )
                name = USER_PREFIX + given
            base = base.with_direction(name, extra.vectors[i], "user", extra.descriptions[i])
        self.directions = base

    # --- back into the photo -----------------------------------------------------------------------

    @staticmethod
    def paste_back(
        photo: np.ndarray, face: np.ndarray, crop: FaceCrop | Box, reference: np.ndarray | None = None
    ) -> np.ndarray:
        """The photo with the edited face feathered back where `crop` came from (see app.core.faces.paste_back)."""
        return _paste_back(photo, face, crop, reference)


def _face_batch(faces: np.ndarray) -> torch.Tensor:
    """(N,S,S,3) or (S,S,3) uint8 faces -> (N,3,S,S) uint8, what the network takes (after / 255)."""
    return torch.from_numpy(np.ascontiguousarray(faces[None] if faces.ndim == 3 else faces)).permute(0, 3, 1, 2)


def check_steps(steps: int) -> None:
    """Raise the user's error for an interpolation length outside 2-MAX_INTERPOLATION_STEPS."""
    if not 2 <= steps <= MAX_INTERPOLATION_STEPS:
        raise LatentStudioError(f"Interpolation takes 2 to {MAX_INTERPOLATION_STEPS} steps, not {steps}.")


def model_fingerprint(vae: torch.nn.Module) -> str:
    """A short hash of the weights: a user direction only means something for the model that made it.

    The 128 px head is left out: it only adds detail to what the code already means, so directions made
    with the 64 px model it grew from keep working.
    """
    digest = hashlib.sha1()
    for key, tensor in vae.state_dict().items():
        if key.startswith("head."):
            continue
        digest.update(tensor.detach().float().cpu().numpy().tobytes()[:4096])
    return digest.hexdigest()[:16]


def _empty_set(codes: torch.Tensor) -> DirectionSet:
    """No shipped directions: sigmas come from the statistics of the given codes."""
    dim = codes.shape[1]
    centred = codes.double() - codes.double().mean(0)
    cov = (centred.T @ centred / max(1, len(codes) - 1)).float()
    return DirectionSet([], [], [], torch.zeros(0, dim), torch.zeros(0), codes.mean(0).float(), cov)


def _only(directions: DirectionSet, name: str) -> DirectionSet:
    """A set with just `name` (user files hold one direction each, plus the statistics for its sigma)."""
    i = directions.index(name)
    return DirectionSet(
        [name],
        ["user"],
        [directions.descriptions[i]],
        directions.vectors[i : i + 1],
        directions.sigmas[i : i + 1],
        directions.code_mean,
        directions.code_covariance,
    )
