"""The colorization pipeline on tensors: full-resolution L -> network at a working size -> full-resolution ab.

The network only ever sees the picture at its working size (256 or 512 on the short side), which keeps it
fast; its chroma is upsampled and put together with the original's own full-resolution lightness, so a
24-megapixel scan comes back at 24 megapixels with all of its detail. The training recipe's validation,
the evaluation command and the app all go through these functions, so what is measured is what ships.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from latent_studio.models.color import lab_to_rgb
from latent_studio.models.colorizer.hints import rasterize_hints
from latent_studio.models.colorizer.network import Colorizer, make_input

#: A hint as the network pipeline takes it: (x, y) in full-resolution pixel coordinates (continuous, pixel
#: i covers [i, i + 1)) and the hint's (a, b).
HintAB = tuple[float, float, float, float]


def working_shape(height: int, width: int, working_size: int, multiple: int = Colorizer.MULTIPLE) -> tuple[int, int]:
    """Network input size: short side about working_size (long side at most 8x that), multiples of 16."""
    scale = min(working_size / min(height, width), 8 * working_size / max(height, width))
    h = max(multiple, round(height * scale / multiple) * multiple)
    w = max(multiple, round(width * scale / multiple) * multiple)
    return h, w


def spatial_shape(x: torch.Tensor) -> tuple[int, int]:
    """(height, width) of an (..., H, W) tensor."""
    return int(x.shape[-2]), int(x.shape[-1])


def resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    shrinking = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=shrinking)


def network_output(
    model: Colorizer,
    lightness: torch.Tensor,
    hints: Sequence[HintAB] = (),
    working_size: int = 256,
) -> tuple[torch.Tensor, tuple[int, int]]:
    """Raw network output (N, Q or 2, h/2, w/2) for full-resolution L (N,1,H,W); also the working size."""
    height, width = spatial_shape(lightness)
    size = working_shape(height, width, working_size)
    param = next(model.parameters())
    small = resize(lightness.float(), size)
    sy, sx = size[0] / height, size[1] / width
    scaled = [(x * sx, y * sy, a, b) for x, y, a, b in hints]
    hint_ab, mask = rasterize_hints(scaled, size[0], size[1], device=lightness.device)
    x = make_input(small, hint_ab.expand(small.shape[0], -1, -1, -1), mask.expand(small.shape[0], -1, -1, -1))
    x = x.to(param.dtype).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        return model(x), size


def predict_ab(
    model: Colorizer,
    lightness: torch.Tensor,
    hints: Sequence[HintAB] = (),
    working_size: int = 256,
    temperature: float | None = None,
    correction: float | None = None,
) -> torch.Tensor:
    """(N,1,H,W) L in [0,100] -> (N,2,H,W) float32 ab at the same (full) resolution (decode settings overridable)."""
    output, _ = network_output(model, lightness, hints, working_size)
    with torch.inference_mode():
        ab = model.decode(output, temperature, correction)
        return resize(ab, spatial_shape(lightness))


def colorize_lightness(
    model: Colorizer,
    lightness: torch.Tensor,
    hints: Sequence[HintAB] = (),
    working_size: int = 256,
) -> torch.Tensor:
    """(N,1,H,W) L -> (N,3,H,W) sRGB in [0, 1]: the batch entry point (all images the same size)."""
    ab = predict_ab(model, lightness, hints, working_size)
    with torch.inference_mode():
        return lab_to_rgb(torch.cat([lightness.float(), ab], dim=1))


def top_bins_at(
    model: Colorizer, output: torch.Tensor, fx: float, fy: float, k: int
) -> list[tuple[float, float, float]]:
    """The k most probable (a, b, probability) at a point given as fractions (0-1) of the image's width/height."""
    if model.head_kind != "classify":
        raise ValueError("colour suggestions need the classification colorizer")
    h, w = output.shape[-2:]
    row = min(max(int(fy * h), 0), h - 1)
    col = min(max(int(fx * w), 0), w - 1)
    probs = torch.softmax(output[0, :, row, col].float(), dim=0)
    values, index = probs.topk(min(k, probs.numel()))
    bins = model.ab_bins[index].float()
    return [(float(a), float(b), float(p)) for (a, b), p in zip(bins.tolist(), values.tolist(), strict=True)]
