"""Sketch -> image and photo -> sketch as headless job functions (no Qt), shared by the GUI, the CLI and tests.

`sketch_to_image` runs the pix2pix generator on black lines on white paper, optionally with the user's
coarse colour strokes (an RGBA layer: painted where opaque). The network runs with the short side at
`SketchSettings.resolution` (256 by default: the size it is fast and was trained near) or at the canvas
size, aspect kept, zero-padded (= blank paper, no hints) to a multiple of its stride, and the result is
resized back to the canvas. `SketchSettings.model` names the generator: each sketch subject
(`models.sketch.subjects`: scene, face, clothing) has its own, run at its own short side (`app.core.sketch_flow`
turns a subject into these settings). `photo_to_sketch` draws a photo's contours with the project's own
extractor, the same one the models were trained with, in the line style of the subject asked for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from latent_studio.app.core.device import ComputeSettings, configure_torch_threads
from latent_studio.app.core.imageio import Picture, rgb8, to_uint8
from latent_studio.app.core.jobs import Progress
from latent_studio.app.core.tensors import tensor_to_pixels
from latent_studio.models.errors import LatentStudioError
from latent_studio.models.sketch.inference import network_picture
from latent_studio.models.sketch.strokes import spread_strokes
from latent_studio.models.sketch.subjects import subject as sketch_subject

MODEL_NAME = "sketch"  # the scene subject's generator, the default


@dataclass(frozen=True)
class SketchSettings:
    """How to run the sketch model. `resolution`: the network's short side in pixels, or None for the canvas size;
    `model`: the registry name of the generator (a subject's, `models.sketch.subjects`)."""

    compute: ComputeSettings = field(default_factory=ComputeSettings)
    resolution: int | None = 256
    max_side: int = 2048  # the network never runs on a longer side than this
    model: str = MODEL_NAME


def _gray_paper(lines: np.ndarray) -> np.ndarray:
    """Accept HxW gray, or HxWx3/4 colour (alpha over white); return HxW uint8 (0 = ink, 255 = paper)."""
    if lines.ndim == 3 and lines.shape[2] in (3, 4):
        rgb = rgb8(lines)
        return (rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) + 0.5).astype(np.uint8)
    if lines.ndim == 2:
        return to_uint8(lines[..., None])[..., 0] if lines.dtype != np.uint8 else lines
    raise LatentStudioError(
        f"A sketch must be an HxW gray or HxWx3/4 colour image, not an array of shape {lines.shape}."
    )


def _network_size(height: int, width: int, settings: SketchSettings) -> tuple[int, int]:
    """(h, w) the network runs at: short side = resolution (or the canvas, capped), aspect kept."""
    scale = settings.resolution / min(height, width) if settings.resolution else 1.0
    scale = min(scale, settings.max_side / max(height, width))  # a very long, thin canvas stays affordable
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize_ink(ink: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize ink keeping thin lines visible: when shrinking, area coverage is scaled up so a line stays a line."""
    factor = ink.shape[-2] / size[0]
    if factor > 1:
        return (F.interpolate(ink, size=size, mode="area") * factor).clamp(0, 1)
    return F.interpolate(ink, size=size, mode="bilinear", align_corners=False)


def _checked_strokes(colour_strokes: np.ndarray, canvas: tuple[int, int]) -> np.ndarray:
    """The RGBA colour layer as 8-bit, checked against the canvas's shape."""
    if colour_strokes.ndim != 3 or colour_strokes.shape[2] != 4:
        raise LatentStudioError(
            f"Colour strokes must be an HxWx4 RGBA layer, not an array of shape {colour_strokes.shape}."
        )
    if colour_strokes.shape[:2] != canvas:
        raise LatentStudioError(
            f"The colour strokes are {colour_strokes.shape[1]}x{colour_strokes.shape[0]} but the sketch is "
            f"{canvas[1]}x{canvas[0]}: they must be the same size."
        )
    return to_uint8(colour_strokes)


def sketch_to_image(
    lines: np.ndarray,
    colour_strokes: np.ndarray | None = None,
    settings: SketchSettings | None = None,
    progress: Progress | None = None,
    *,
    registry=None,
) -> np.ndarray:
    """Black lines on white (HxW uint8, 0 = ink, 255 = paper) [+ RGBA colour strokes] -> HxWx3 uint8 picture."""
    settings = settings or SketchSettings()
    progress = progress or Progress()
    paper = _gray_paper(np.asarray(lines))
    canvas = paper.shape[:2]
    if min(canvas) < 1:
        raise LatentStudioError("The sketch is empty (zero pixels).")
    # 1. Model (loaded once and cached by the registry).
    progress.report(0.0, "Loading the sketch model")
    configure_torch_threads()
    device = settings.compute.torch_device
    if registry is None:
        from latent_studio.models.registry import default_registry

        registry = default_registry()
    model = _load_model(registry, settings, device)
    progress.report(0.2, "Drawing")
    # 2. The lines at the network's size; the picture drawn from them alone (cached: a colour stroke costs
    #    only its spreading)
    size = _network_size(canvas[0], canvas[1], settings)
    ink = 1.0 - torch.from_numpy(np.array(paper, copy=True))[None, None].float() / 255.0
    ink = _resize_ink(ink, size)
    progress.check()
    out = _generated(model, settings.model, ink, device)
    # 3. Each colour stroke recolours its own region, up to the drawn lines (models.sketch.strokes)
    if colour_strokes is not None:
        strokes = _checked_strokes(np.asarray(colour_strokes), canvas)
        progress.check()
        out = spread_strokes(out, ink, strokes)
    if size != canvas:
        out = F.interpolate(out, size=canvas, mode="bilinear", align_corners=False)
    progress.report(1.0)
    return tensor_to_pixels(out)


def _load_model(registry, settings: SketchSettings, device):
    """The shipped generator named by `settings.model`, or the user's fine-tuned one of that name, verified
    against its sha256 like a shipped file (`app.core.user_models`)."""
    from latent_studio.app.core import user_models

    if user_models.is_shipped(settings.model):
        return registry.load_model(settings.model, device, settings.compute.half_precision)
    found = user_models.user_file(settings.model, "sketch")
    half = settings.compute.half_precision
    return registry.load_user_file(found.base, found.path, found.sha256, found.config, device, half)


_LAST_GENERATED: list[tuple[tuple, torch.Tensor]] = []  # the newest picture drawn from lines, and its key


def _generated(model, model_name: str, ink: torch.Tensor, device) -> torch.Tensor:
    """(1,3,h,w) the network's picture of (1,1,h,w) ink with no colour hints, on the CPU in float; reused while
    the lines, the model (its name and the loaded object: another subject draws anew) and the device stay the
    same (the GUI re-runs on every colour stroke)."""
    digest = hashlib.blake2b(ink.numpy().tobytes(), digest_size=16).digest()
    key = (model_name, id(model), next(model.parameters()).dtype, str(device), tuple(ink.shape), digest)
    for cached_key, cached in _LAST_GENERATED:
        if cached_key == key:
            return cached
    size = tuple(ink.shape[-2:])
    out = network_picture(model, ink, torch.zeros(1, 3, *size), torch.zeros(1, 1, *size), device)
    _LAST_GENERATED[:] = [(key, out)]
    return out


def photo_to_sketch(
    image: Picture | np.ndarray,
    settings: ComputeSettings | None = None,
    progress: Progress | None = None,
    subject: str | None = None,
) -> np.ndarray:
    """A photo (Picture or HxWx3/4 pixels) -> its line drawing, HxW uint8 (0 = ink, 255 = paper), in the line
    style `subject` (default: scene) was trained on: its blur and density at its network's short side."""
    from latent_studio.models.sketch.lines import sketch_like

    style = sketch_subject(subject)  # an unknown name: one line, before any work
    progress = progress or Progress()
    pixels = image.pixels if isinstance(image, Picture) else np.asarray(image)
    if pixels.ndim == 2:
        pixels = pixels[..., None].repeat(3, axis=2)
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise LatentStudioError(f"A photo must be an HxWx3/4 image, not an array of shape {pixels.shape}.")
    rgb = rgb8(pixels)
    progress.report(0.1, "Finding lines")
    device = (settings or ComputeSettings(device="cpu")).torch_device
    tensor = torch.from_numpy(np.array(rgb, copy=True)).to(device).permute(2, 0, 1)[None].float() / 255.0
    with torch.inference_mode():
        ink = sketch_like(
            tensor, style.resolution, sigma=style.line_sigma, density=style.line_density, fill_below=style.fill_below
        )
    progress.report(1.0)
    return (255.0 - ink[0, 0].cpu() * 255.0).add(0.5).clamp(0, 255).to(torch.uint8).numpy()
