"""Photo -> line drawing in torch (cleaned Canny), and the augmentations that make such lines look hand-drawn.

Why Canny with non-maximum suppression and hysteresis rather than XDoG: XDoG fills every small dark region
with ink (blobs of fur, foliage), while people draw contours; thin, connected contour lines are what BSDS500's
human boundary maps look like, so the extracted pairs and the human pairs teach the model the same input.
Everything here is batched torch on any device: training extracts lines on the GPU from photo crops every
step, and the app uses the same function for "photo to sketch".

Convention: `ink` tensors are (N, 1, H, W) in [0, 1], 0 = paper, 1 = full ink.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with replicate padding (no dark frame at the border)."""
    radius = max(1, math.ceil(3 * sigma))
    coords = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-(coords**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """(N,3,H,W) RGB in [0,1] -> (N,1,H,W) luma (Rec. 601 weights)."""
    weights = torch.tensor([0.299, 0.587, 0.114], device=rgb.device, dtype=rgb.dtype).view(1, 3, 1, 1)
    return (rgb * weights).sum(dim=1, keepdim=True)


def remove_specks(ink: torch.Tensor, min_neighbours: float = 1.5) -> torch.Tensor:
    """Drop isolated dots (texture noise) that no person would draw: ink with too little ink around it."""
    around = F.avg_pool2d(ink, 3, 1, 1, count_include_pad=False) * 9 - ink
    return ink * (around >= min_neighbours).to(ink.dtype)


def canny_lines(
    rgb: torch.Tensor,
    sigma: float = 1.2,
    density: float | torch.Tensor = 0.06,
    hysteresis_steps: int = 8,
) -> torch.Tensor:
    """Thin, connected contour lines (N,1,H,W ink in {0,1}): Canny in torch, cleaned like a drawing.

    Gaussian blur, Sobel gradients, non-maximum suppression (which thins every edge to one pixel, like the
    BSDS annotators' pens), then double-threshold hysteresis grown by `hysteresis_steps` max-pool steps.
    The thresholds adapt to each image: the strong one keeps about `density` of all pixels' gradient
    magnitude rank (per-sample tensors of shape (N,) are accepted), the weak one is 40% of it.
    """
    gray = _gaussian_blur(luminance(rgb.float()), sigma)
    padded = F.pad(gray, (1, 1, 1, 1), mode="replicate")
    sobel_x = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], device=rgb.device).view(1, 1, 3, 3)
    gx = F.conv2d(padded, sobel_x)
    gy = F.conv2d(padded, sobel_x.transpose(-1, -2))
    magnitude = torch.sqrt(gx * gx + gy * gy + 1e-12)
    # 1. Non-maximum suppression along the gradient direction (4 sectors).
    angle = torch.atan2(gy, gx) % math.pi
    sector = ((angle + math.pi / 8) // (math.pi / 4)).long() % 4  # 0: horizontal gradient, 1: 45, 2: vertical, 3: 135
    m = F.pad(magnitude, (1, 1, 1, 1))
    h, w = magnitude.shape[-2:]
    shifted = lambda dy, dx: m[..., 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]  # noqa: E731
    pairs = [((0, 1), (0, -1)), ((1, 1), (-1, -1)), ((1, 0), (-1, 0)), ((1, -1), (-1, 1))]
    is_max = torch.zeros_like(magnitude, dtype=torch.bool)
    for index, (a, b) in enumerate(pairs):
        local = (magnitude >= shifted(*a)) & (magnitude >= shifted(*b))
        is_max |= local & (sector == index)
    thin = magnitude * is_max
    # 2. Per-image thresholds from the rank of the gradient magnitude.
    flat = magnitude.flatten(1)
    fraction = torch.as_tensor(density, device=rgb.device, dtype=flat.dtype).expand(flat.shape[0])
    rank = ((1.0 - fraction) * (flat.shape[1] - 1)).long().clamp(0, flat.shape[1] - 1)
    high = flat.sort(dim=1).values.gather(1, rank[:, None]).view(-1, 1, 1, 1).clamp_min(1e-3)
    strong = (thin >= high).to(thin.dtype)
    weak = (thin >= 0.4 * high).to(thin.dtype)
    # 3. Hysteresis: weak edges survive where they connect to strong ones.
    lines = strong
    for _ in range(hysteresis_steps):
        lines = F.max_pool2d(lines, 3, 1, 1) * weak
    return remove_specks(lines, min_neighbours=1.0)


def spot_blacks(rgb: torch.Tensor, threshold: float | torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    """(N,1,H,W) ink filling the photo's darkest areas solid black, as inkers do for hair, pupils and deep shadow.

    A pixel is filled where the blurred luma is below `threshold` (0-1; per-sample (N,) tensors accepted), with
    an anti-aliased edge; specks smaller than about 3x3 pixels are opened away (no one fills a dot). The fills
    tell a subject's generator where the picture is dark, which bare contours cannot.
    """
    gray = _gaussian_blur(luminance(rgb.float()), sigma)
    level = torch.as_tensor(threshold, device=rgb.device, dtype=gray.dtype).reshape(-1, 1, 1, 1)
    fill = (gray < level).to(gray.dtype)  # solid ink, as a brush fills: no gray shading
    opened = F.max_pool2d(-F.max_pool2d(-fill, 3, 1, 1), 3, 1, 1)  # erode then dilate: small specks vanish
    return _gaussian_blur(opened, 0.5).clamp(0, 1) * (level > 0).to(gray.dtype)  # anti-aliased edge


def sketch_like(
    rgb: torch.Tensor,
    short_side_reference: int = 256,
    sigma: float = 1.4,
    density: float = 0.08,
    fill_below: float = 0.0,
) -> torch.Tensor:
    """The app's "photo to sketch": clean contour lines, pen width growing with the image size.

    `sigma` and `density` are the line style at `short_side_reference` (a sketch subject's: the blur and share of
    strong edges its training drew at its crops' size); a larger photo gets the blur scaled up with it.
    `fill_below` > 0 also fills areas darker than that luma solid black (`spot_blacks`, the face and clothing
    subjects' style)."""
    scale = max(1.0, min(rgb.shape[-2:]) / short_side_reference)
    lines = canny_lines(rgb, sigma=sigma * scale, density=density)
    if scale >= 2:  # a 1-pixel line on a large canvas is too faint to read: draw with a wider pen
        lines = F.max_pool2d(lines, 2 * int(scale // 2) + 1, 1, int(scale // 2))
    if fill_below > 0:
        lines = torch.maximum(lines, spot_blacks(rgb, fill_below, 1.5 * scale))
    return lines


# --- augmentation: make any line map look like another person's drawing ---------------------------------


def _smooth_noise(
    shape: tuple[int, int, int, int], cell: int, size: tuple[int, int], device: torch.device
) -> torch.Tensor:
    """Low-frequency noise in about [-1, 1]: random values on a coarse grid, bilinearly upsampled."""
    n, c = shape[0], shape[1]
    coarse = torch.rand(n, c, max(2, size[0] // cell + 2), max(2, size[1] // cell + 2), device=device) * 2 - 1
    return F.interpolate(coarse, size=size, mode="bicubic", align_corners=False)


def augment_ink(
    ink: torch.Tensor,
    thicken: float = 0.35,
    drop: float = 0.6,
    jitter: float = 1.2,
    fade: float = 0.4,
) -> torch.Tensor:
    """Random stroke width, dropped strokes, small wobble and lighter pressure, per sample.

    thicken: probability of a 3x3 dilation (thicker pen); drop: probability of erasing random patches of
    lines; jitter: largest smooth displacement in pixels; fade: lowest ink strength (pencil instead of pen).
    """
    n, _, h, w = ink.shape
    device = ink.device
    per = lambda: torch.rand(n, 1, 1, 1, device=device)  # noqa: E731
    # 1. Stroke width: some drawings thicker (dilation), some softer (slight blur).
    thick = F.max_pool2d(ink, 3, 1, 1)
    ink = torch.where(per() < thicken, thick, ink)
    soft = _gaussian_blur(ink, 0.6) * 1.6
    ink = torch.where(per() < 0.2, soft.clamp(0, 1), ink)
    # 2. Dropped strokes: erase where smooth noise is above a per-sample level.
    level = 1.0 - per() * 0.9  # 0.1..1: from many gaps to (almost) none
    keep = (_smooth_noise((n, 1, h, w), 12, (h, w), device) < level).to(ink.dtype)
    ink = torch.where(per() < drop, ink * keep, ink)
    # 3. Wobble: a smooth displacement field of up to `jitter` pixels.
    if jitter > 0:
        flow = _smooth_noise((n, 2, h, w), 24, (h, w), device) * (per() * jitter)
        ys = torch.linspace(-1, 1, h, device=device)
        xs = torch.linspace(-1, 1, w, device=device)
        grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], dim=-1).expand(n, h, w, 2)
        offset = torch.stack([flow[:, 0] * 2 / w, flow[:, 1] * 2 / h], dim=-1)
        ink = F.grid_sample(ink, grid + offset, mode="bilinear", padding_mode="zeros", align_corners=True)
    # 4. Pressure: lighter lines for some drawings.
    strength = 1.0 - per() * (1.0 - fade)
    return (ink * strength).clamp(0, 1)
