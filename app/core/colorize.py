"""Colorize a picture, automatically or guided by colour hints: the headless operation behind GUI, CLI and batch.

The network runs at a working size (256 or 512 on the short side); its chroma is upsampled and combined
with the picture's own full-resolution lightness, so the result has the input's size and detail (a
24-megapixel scan comes back at 24 megapixels). Colour inputs are reduced to their lightness first and the
result says so. Alpha is kept, and 16-bit pictures come back 16-bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import torch

from latent_studio.app.core.colorize_flow import (  # the option checks live in the tool's one flow (colorize_flow)
    MODEL_NAME,
    ColorizeOptions,
    check_options,
    check_point,
    check_vividness,
)
from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Progress
from latent_studio.app.core.tensors import merge_alpha, split_alpha, tensor_to_pixels
from latent_studio.models.color import lab_to_rgb, lab_to_srgb8, rgb_to_lab, srgb_to_linear
from latent_studio.models.errors import LatentStudioError

if TYPE_CHECKING:
    from latent_studio.models.colorizer.network import Colorizer
    from latent_studio.models.colorizer.reference import PreparedReference

WORKING_SIZES = (256, 512)
_STRIP_ROWS = 1024  # full-resolution work goes in strips of rows, so huge scans need little memory


@dataclass(frozen=True)
class Hint:
    """A user's colour hint: pixel (x, y) of the full-resolution picture and an sRGB colour (0-255).

    A scribble also has its polyline's points in `path` (starting at (x, y)). Hints are local: see
    `models.colorizer.hint_spread`."""

    x: float
    y: float
    rgb: tuple[int, int, int]
    path: tuple[tuple[float, float], ...] = ()

    @property
    def points(self) -> tuple[tuple[float, float], ...]:
        return self.path or ((self.x, self.y),)


@dataclass(frozen=True)
class ColorizeResult:
    picture: Picture
    converted_from_colour: bool  # the input had colour; it was reduced to its lightness first

    @property
    def note(self) -> str:
        if self.converted_from_colour:
            return "The input was a colour picture: its colours were discarded and it was colorized from its lightness."
        return ""


def colorize(
    picture: Picture,
    hints: Sequence[Hint] = (),
    working_size: int = 256,
    settings: ComputeSettings = ComputeSettings(),
    progress: Progress | None = None,
    model_name: str = MODEL_NAME,
    registry=None,
    *,
    vividness: float = 0.0,
    reference: Picture | PreparedReference | None = None,
) -> ColorizeResult:
    """Colorize `picture` (gray, or colour reduced to gray) at full resolution (`vividness`: see `decode_ab`;
    `reference`: a colour photo to take the colours from by content, see `app.core.colorize_reference`)."""
    progress = progress or Progress()
    _check_request(picture, hints, working_size, vividness)
    # 1. model and full-resolution lightness
    model = _load(model_name, settings, registry)
    reference = _prepared_reference(reference, model, working_size, settings)
    rgb_pixels, alpha = split_alpha(picture.pixels)
    progress.report(0.05, "Reading lightness")
    lightness = lightness_of(rgb_pixels, settings.torch_device, progress.sub(0.05, 0.3))
    # 2. chroma from the network at the working size, upsampled to full resolution
    progress.report(0.3, "Colorizing")
    ab = _predict_ab(model, lightness, hints, working_size, vividness, reference)
    # 3. full-resolution L + ab -> RGB, in strips
    progress.report(0.6, "Applying colour")
    return _finish(picture, lightness, ab, alpha, progress.sub(0.6, 1.0))


@dataclass(frozen=True)
class PreparedPicture:
    """A picture with its lightness at the network's working shape already on the device (the batch engine's
    decode threads compute it, so the thread that runs the network only runs the network)."""

    picture: Picture
    small: torch.Tensor  # (1,1,h,w) Lab L at the working shape, on the compute device
    alpha: np.ndarray | None
    lightness: torch.Tensor | None = None  # the full-resolution L, if kept (else recomputed when finishing)


def prepare_picture(
    picture: Picture, working_size: int, settings: ComputeSettings = ComputeSettings(), keep_lightness: bool = True
) -> PreparedPicture:
    """Check the picture, compute the lightness and shrink it to the working shape: the per-picture first stage.

    `keep_lightness=False` drops the full-resolution lightness and lets the finisher recompute it from the
    pixels (a table lookup): the batch engine keeps dozens of pictures in flight, and at 4 bytes a pixel on
    the GPU their lightness maps alone would fill a small card (80 x 24 MP = 7.7 GB).
    """
    from latent_studio.models.colorizer.inference import resize, working_shape

    _check_request(picture, (), working_size)
    rgb, alpha = split_alpha(picture.pixels)
    lightness = lightness_of(rgb, settings.torch_device)
    with torch.inference_mode():
        small = resize(lightness, working_shape(picture.height, picture.width, working_size))
    return PreparedPicture(picture, small, alpha, lightness if keep_lightness else None)


def colorize_prepared(
    prepared: Sequence[PreparedPicture],
    working_size: int = 256,
    settings: ComputeSettings = ComputeSettings(),
    progress: Progress | None = None,
    registry=None,
    *,
    vividness: float = 0.0,
    reference: PreparedReference | None = None,
    model_name: str = MODEL_NAME,
) -> list[Callable[[], ColorizeResult]]:
    """The network stage of automatic colorization of many pictures; returns one finisher per picture
    (`reference`: one prepared reference photo for all of them, see `app.core.colorize_reference`).

    Pictures whose working shape is the same (same aspect ratio, any resolution) share one forward pass
    (`prepare_picture` shrank each one's lightness to that shape). Each finisher then upsamples its own
    chroma map to its picture's full resolution and converts to pixels; the batch engine runs finishers in
    its encode threads, beside the next forward pass.
    """
    from latent_studio.models.colorizer.inference import network_output, spatial_shape

    progress = progress or Progress()
    check_vividness(vividness)
    model = _load(model_name, settings, registry)
    groups: dict[tuple[int, int], list[int]] = {}
    for index, item in enumerate(prepared):
        groups.setdefault(spatial_shape(item.small), []).append(index)
    finishers: dict[int, Callable[[], ColorizeResult]] = {}  # every picture's, by its index in `prepared`
    for done, indices in enumerate(groups.values()):
        batch = torch.cat([prepared[i].small for i in indices])
        output, _ = network_output(model, batch, (), working_size)
        with torch.inference_mode():
            ab_small = decode_ab(model, output, vividness)
        for row, index in enumerate(indices):
            ab_row = ab_small[row : row + 1]
            if reference is not None:
                from latent_studio.models.colorizer.reference import reference_ab

                ab_row = reference_ab(reference, model, prepared[index].small, ab_row)
            finishers[index] = partial(_finish_prepared, prepared[index], ab_row)
        progress.report((done + 1) / len(groups))
    return [finishers[index] for index in range(len(prepared))]


def colorize_pictures(
    pictures: Sequence[Picture],
    working_size: int = 256,
    settings: ComputeSettings = ComputeSettings(),
    progress: Progress | None = None,
    registry=None,
    *,
    vividness: float = 0.0,
) -> list[ColorizeResult]:
    """Automatic colorization of many pictures, all three stages in this thread (see `colorize_prepared`)."""
    check_vividness(vividness)
    prepared = [prepare_picture(picture, working_size, settings) for picture in pictures]
    finishers = colorize_prepared(prepared, working_size, settings, progress, registry, vividness=vividness)
    return [finish() for finish in finishers]


def colorize_picture(
    picture: Picture,
    progress: Progress,
    hints: Sequence[Hint] = (),
    working_size: int = 256,
    settings: ComputeSettings = ComputeSettings(),
    vividness: float = 0.0,
) -> Picture:
    """`operation(picture, progress) -> Picture`, the form GUI operations take (use functools.partial)."""
    return colorize(picture, hints, working_size, settings, progress, vividness=vividness).picture


def decode_ab(model, output: torch.Tensor, vividness: float = 0.0) -> torch.Tensor:
    """The network's output -> ab, `vividness` (0-1) of the way from the most accurate colours to vivid ones.

    The classification colorizer predicts a distribution over colours; its class rebalancing in training
    tilts that distribution towards rare, saturated colours. The shipped decode setting is the most accurate
    one that is at least as colourful as plain L2 regression (chosen on training photos; on held-out photos it
    is as accurate as L2 and a little more colourful); vividness v adds v more of the rebalancing tilt at
    decode (prior correction minus v), which brings the colours much closer to real photos' colourfulness at
    v = 1, at the cost of more wrong guesses. The plain-L2 model has no distribution: it ignores vividness.
    """
    return model.decode(output, correction=model.vivid_correction(vividness))


def colorize_lightness(
    lightness: torch.Tensor,
    working_size: int = 256,
    settings: ComputeSettings = ComputeSettings(),
    model_name: str = MODEL_NAME,
    registry=None,
) -> torch.Tensor:
    """Batch entry point: (N,1,H,W) Lab lightness in [0, 100] -> (N,3,H,W) sRGB in [0, 1], on the device."""
    from latent_studio.models.colorizer.inference import colorize_lightness as run

    if lightness.dim() != 4 or lightness.shape[1] != 1:
        raise LatentStudioError(
            f"Colorization needs a batch of lightness maps (N,1,H,W), not {tuple(lightness.shape)}."
        )
    model = _load(model_name, settings, registry)
    return run(model, lightness.to(settings.torch_device), (), working_size)


def suggest_colors(
    picture: Picture,
    x: float,
    y: float,
    hints: Sequence[Hint] = (),
    count: int = 8,
    working_size: int = 256,
    settings: ComputeSettings = ComputeSettings(),
    registry=None,
    *,
    model_name: str = MODEL_NAME,
) -> list[tuple[int, int, int]]:
    """The most likely colours of the colorizer `model_name` (shipped or the user's own, loaded as `colorize`
    loads it) at pixel (x, y), best first, at that pixel's lightness (for a palette)."""
    from latent_studio.models.colorizer.inference import network_output, top_bins_at

    _check_request(picture, hints, working_size)
    _check_point(picture, x, y, "The point to suggest colours for")
    model = _load(model_name, settings, registry)
    rgb_pixels, _ = split_alpha(picture.pixels)
    lightness = lightness_of(rgb_pixels, settings.torch_device)
    output, _ = network_output(model, lightness, _hints_ab(hints, lightness.device), working_size)
    level = float(lightness[0, 0, int(y), int(x)])
    colours: list[tuple[int, int, int]] = []
    for a, b, _ in top_bins_at(model, output, (x + 0.5) / picture.width, (y + 0.5) / picture.height, count * 2):
        lab = torch.tensor([level, a, b], dtype=torch.float32).view(1, 3, 1, 1)
        red, green, blue = (int(v) for v in (lab_to_rgb(lab).view(3) * 255 + 0.5).to(torch.int32).tolist())
        colour = (red, green, blue)
        if colour not in colours:
            colours.append(colour)
    return colours[:count]


def lightness_of(
    rgb_pixels: np.ndarray, device: torch.device | str = "cpu", progress: Progress | None = None
) -> torch.Tensor:
    """HxWx3 uint8/uint16 pixels -> (1,1,H,W) Lab lightness in [0, 100] (only L is computed, strip by strip)."""
    scale = 65535.0 if rgb_pixels.dtype == np.uint16 else 255.0
    weights = torch.tensor([0.212671, 0.715160, 0.072169], device=device).view(1, 3, 1, 1)  # Y row of sRGB->XYZ
    height = rgb_pixels.shape[0]
    out = torch.empty(1, 1, height, rgb_pixels.shape[1], device=device)
    for start in range(0, height, _STRIP_ROWS):
        stop = min(start + _STRIP_ROWS, height)
        strip = np.ascontiguousarray(rgb_pixels[start:stop])
        if strip.dtype == np.uint8:  # 8-bit: a 256-entry table replaces the gamma curve (7x faster on 12 MP)
            codes = torch.from_numpy(strip).to(device).view(-1).int()
            linear = _linear_table(device).index_select(0, codes).view(*strip.shape)  # 5x faster than table[codes]
            luminance = (linear @ weights.view(3))[None, None]
        else:
            rgb = torch.from_numpy(strip.astype(np.int32)).to(device).permute(2, 0, 1)[None].float().div_(scale)
            luminance = (srgb_to_linear(rgb) * weights).sum(dim=1, keepdim=True)
        f = torch.where(luminance > 0.008856, luminance.clamp_min(1e-12) ** (1 / 3), 7.787 * luminance + 16 / 116)
        out[:, :, start:stop] = 116 * f - 16
        if progress is not None:
            progress.report(stop / height)
    return out


# --- helpers -----------------------------------------------------------------------------------------


def _linear_table(device: torch.device | str) -> torch.Tensor:
    """Linear-light value of each 8-bit sRGB code."""
    return srgb_to_linear(torch.arange(256, dtype=torch.float32, device=device) / 255.0)


def _finish_prepared(prepared: PreparedPicture, ab_small: torch.Tensor) -> ColorizeResult:
    from latent_studio.models.colorizer.inference import resize, spatial_shape

    lightness = prepared.lightness
    if lightness is None:
        rgb, _ = split_alpha(prepared.picture.pixels)
        lightness = lightness_of(rgb, prepared.small.device)
    with torch.inference_mode():
        ab = resize(ab_small, spatial_shape(lightness))
    return _finish(prepared.picture, lightness, ab, prepared.alpha, Progress())


def _finish(
    picture: Picture, lightness: torch.Tensor, ab: torch.Tensor, alpha: np.ndarray | None, progress: Progress
) -> ColorizeResult:
    """Full-resolution L + ab -> the result picture (in strips of rows), alpha and bit depth kept."""
    dtype = picture.pixels.dtype
    out = np.empty((picture.height, picture.width, 3), dtype=dtype)
    rows = picture.height
    for start in range(0, rows, _STRIP_ROWS):
        stop = min(start + _STRIP_ROWS, rows)
        if dtype == np.uint8:
            out[start:stop] = lab_to_srgb8(lightness[:, :, start:stop], ab[:, :, start:stop])[0].cpu().numpy()
        else:
            lab = torch.cat([lightness[:, :, start:stop], ab[:, :, start:stop]], dim=1)
            out[start:stop] = tensor_to_pixels(lab_to_rgb(lab), dtype.type)
        progress.report(stop / rows)
    result = picture.with_pixels(merge_alpha(out, alpha), is_gray=False)
    return ColorizeResult(result, converted_from_colour=not picture.is_gray)


def _load(model_name: str, settings: ComputeSettings, registry) -> Colorizer:
    from latent_studio.models.colorizer.network import Colorizer
    from latent_studio.models.registry import default_registry

    if registry is None and model_name != MODEL_NAME:  # a user's fine-tuned model (app.core.user_models), by name
        from latent_studio.app.core import user_models

        model = user_models.load(model_name, settings.torch_device, settings.half_precision)
    else:
        model = (registry or default_registry()).load_model(model_name, settings.torch_device, settings.half_precision)
    if not isinstance(model, Colorizer):
        raise LatentStudioError(f"The model '{model_name}' is not a colorizer.")
    return model


def _predict_ab(
    model,
    lightness: torch.Tensor,
    hints: Sequence[Hint],
    working_size: int,
    vividness: float,
    reference: PreparedReference | None = None,
) -> torch.Tensor:
    from latent_studio.models.colorizer.hint_spread import local_hint_ab

    # the automatic result plus each hint's correction spread over its region (issue #13: local, strong hints)
    strokes = [
        (tuple((x + 0.5, y + 0.5) for x, y in h.points), a, b)
        for h, (_, _, a, b) in zip(hints, _hints_ab(hints, lightness.device), strict=True)
    ]
    if reference is not None:  # the reference's colours by content, the same hint spreading on top
        from latent_studio.models.colorizer.hint_spread import spread_on_grid
        from latent_studio.models.colorizer.reference import predict_ab_with_reference

        spread = partial(spread_on_grid, lightness=lightness, strokes=strokes) if strokes else None
        return predict_ab_with_reference(
            model, lightness, reference, working_size, model.vivid_correction(vividness), spread
        )
    return local_hint_ab(model, lightness, strokes, working_size, correction=model.vivid_correction(vividness))


def _prepared_reference(
    reference: Picture | PreparedReference | None, model: Colorizer, working_size: int, settings: ComputeSettings
) -> PreparedReference | None:
    """A reference picture prepared for matching (one already prepared at this working size is kept)."""
    from latent_studio.app.core.colorize_reference import prepare_reference
    from latent_studio.models.colorizer.reference import PreparedReference

    if reference is None or (isinstance(reference, PreparedReference) and reference.working_size == working_size):
        return reference
    if isinstance(reference, PreparedReference):
        raise LatentStudioError("The reference was prepared for another working size.")
    return prepare_reference(reference, model, working_size, settings.torch_device)


def _hints_ab(hints: Sequence[Hint], device: torch.device) -> list[tuple[float, float, float, float]]:
    """Hints as (x, y, a, b), x and y at pixel centres of the full-resolution picture."""
    if not hints:
        return []
    rgb = torch.tensor([h.rgb for h in hints], dtype=torch.float32).T.reshape(1, 3, len(hints), 1) / 255.0
    lab = rgb_to_lab(rgb)[0, :, :, 0]  # (3, K)
    return [(h.x + 0.5, h.y + 0.5, float(lab[1, i]), float(lab[2, i])) for i, h in enumerate(hints)]


def _check_request(picture: Picture, hints: Sequence[Hint], working_size: int, vividness: float = 0.0) -> None:
    check_options(ColorizeOptions(working_size, vividness, tuple(hints)), picture)


def _check_point(picture: Picture, x: float, y: float, what: str) -> None:
    check_point(picture, x, y, what)
