"""Training losses of the colorizer: rebalanced classification over ab bins, and the plain-L2 baseline.

The classification loss is the cross-entropy between the network's bin distribution and the Gaussian
soft-encoding of the true colour, each pixel weighted by the rarity of its colour (Zhang et al. 2016). The
L2 loss exists to show, with numbers, what the classification buys: same backbone, 2-channel head.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from latent_studio.models.colorizer.network import AB_SCALE
from latent_studio.models.colorizer.quantize import soft_encode


def rebalanced_cross_entropy(
    logits: torch.Tensor,
    ab: torch.Tensor,
    bins: torch.Tensor,
    weights: torch.Tensor,
    emphasis: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean over pixels of w(nearest bin) * CE(soft-encoded ab, softmax(logits)); ab at the logits' size."""
    target = soft_encode(ab, bins)
    log_probs = F.log_softmax(logits.float(), dim=1)
    per_pixel = -(target * log_probs).sum(dim=1)
    nearest = target.argmax(dim=1)  # the soft encoding peaks at the nearest bin
    per_pixel = per_pixel * weights[nearest]
    return (per_pixel * emphasis).mean() if emphasis is not None else per_pixel.mean()


def l2_regression(prediction: torch.Tensor, ab: torch.Tensor, emphasis: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error of ab / 110 (the washed-out baseline)."""
    per_pixel = (prediction.float() - ab / AB_SCALE).square().mean(dim=1)
    return (per_pixel * emphasis).mean() if emphasis is not None else per_pixel.mean()


def decoded_l1(ab_prediction: torch.Tensor, ab: torch.Tensor, emphasis: torch.Tensor | None = None) -> torch.Tensor:
    """Mean absolute error of the decoded ab / 110. Added to the classification loss it ties the colour the app
    shows (the annealed mean) to the truth; the cross-entropy alone only shapes the distribution, whose
    rebalanced mean can be vivid and wrong. L1, not L2: the median does not wash colours out as the mean does."""
    per_pixel = ((ab_prediction.float() - ab) / AB_SCALE).abs().mean(dim=1)
    return (per_pixel * emphasis).mean() if emphasis is not None else per_pixel.mean()


def hint_emphasis(mask: torch.Tensor, size: tuple[int, int], factor: float = 4.0) -> torch.Tensor:
    """(N, h, w) pixel weights 1 + factor at hinted pixels: the few pixels under a hint (well under 1% of all)
    would otherwise teach the network to honour hints only slowly; with them weighted up it learns early."""
    return 1.0 + factor * F.adaptive_max_pool2d(mask, size)[:, 0]


def target_ab(ab: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """True ab brought to the network's output size (area average)."""
    if ab.shape[-2:] == size:
        return ab
    return F.adaptive_avg_pool2d(ab, size)
