"""The quantized ab colour space of the classification colorizer (Zhang, Isola, Efros 2016).

Why classification: plain L2 regression averages the plausible colours of an object (a red or a blue car
averages to gray), which gives washed-out sepia results. Predicting a distribution over ab bins keeps the
modes apart, class rebalancing stops the rare saturated colours from being drowned by the common desaturated
ones, and the annealed mean turns the distribution into one vivid but spatially coherent colour.

Everything here is deterministic: the bins are the cells of a 10-unit grid over a, b in [-110, 110] whose
centre is a displayable sRGB colour for some lightness; the prior comes from the training data and is
stored in the model file as a buffer, so inference needs nothing else.
"""

from __future__ import annotations

import torch

from latent_studio.models.color import lab_to_rgb, rgb_to_lab

GRID_STEP = 10.0
GRID_LIMIT = 110.0
SOFT_SIGMA = 5.0  # Gaussian soft-encoding width (ab units), as in Zhang et al. 2016
PRIOR_SIGMA = 5.0  # smoothing of the empirical prior
REBALANCE_LAMBDA = 0.5  # mix of the prior with a uniform distribution
ANNEAL_T = 0.7  # annealed-mean temperature (Zhang et al.: 0.38); 0.7 chosen by models.colorizer.tune


def gamut_bins(step: float = GRID_STEP, limit: float = GRID_LIMIT) -> torch.Tensor:
    """(Q, 2) ab centres of the grid cells whose centre is displayable at some lightness.

    A centre counts as displayable when Lab -> sRGB (clipped) -> Lab returns it within half a cell for some L
    in [5, 95]; this is the same criterion for every run, so Q and the order of the bins never change.
    """
    axis = torch.arange(-limit, limit + 0.5 * step, step, dtype=torch.float64)
    a, b = torch.meshgrid(axis, axis, indexing="ij")
    ab = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)  # (G, 2), a-major order
    lightness = torch.linspace(5.0, 95.0, 91, dtype=torch.float64)
    grid_l = lightness.view(-1, 1).expand(-1, ab.shape[0])
    lab = torch.stack([grid_l, ab[:, 0].expand_as(grid_l), ab[:, 1].expand_as(grid_l)], dim=0)  # (3, L, G)
    lab = lab.unsqueeze(0)
    back = rgb_to_lab(lab_to_rgb(lab))
    error = (back[0, 1:] - lab[0, 1:]).abs().amax(dim=0)  # (L, G)
    inside = (error < 0.5 * step).any(dim=0)
    return ab[inside].float()


def soft_encode(ab: torch.Tensor, bins: torch.Tensor, sigma: float = SOFT_SIGMA) -> torch.Tensor:
    """(N, 2, H, W) ab -> (N, Q, H, W) Gaussian-weighted bin memberships summing to 1 per pixel."""
    n, _, h, w = ab.shape
    d2 = _squared_distances(ab, bins)
    weights = torch.exp(-(d2 - d2.amin(dim=1, keepdim=True)) / (2 * sigma * sigma))
    weights = weights * (weights > 1e-3)  # only the few nearest bins matter
    weights = weights / weights.sum(dim=1, keepdim=True)
    return weights.view(n, h, w, -1).permute(0, 3, 1, 2)


def nearest_bin(ab: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """(N, 2, H, W) ab -> (N, H, W) index of the nearest bin."""
    n, _, h, w = ab.shape
    return _squared_distances(ab, bins).argmin(dim=1).view(n, h, w)


def _squared_distances(ab: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """(N*H*W, Q) squared ab distances, by explicit differences (a matmul form loses precision in TF32)."""
    points = ab.float().permute(0, 2, 3, 1).reshape(-1, 2)
    centres = bins.float()
    return (points[:, :1] - centres[:, 0]).square_() + (points[:, 1:] - centres[:, 1]).square_()


def empirical_prior(ab_batches: list[torch.Tensor], bins: torch.Tensor) -> torch.Tensor:
    """(Q,) smoothed frequency of every bin over the given ab tensors (the training data)."""
    counts = torch.zeros(bins.shape[0], dtype=torch.float64, device=bins.device)
    for ab in ab_batches:
        index = nearest_bin(ab.to(bins.device), bins).reshape(-1)
        counts += torch.bincount(index, minlength=bins.shape[0]).double()
    prior = counts / counts.sum().clamp_min(1.0)
    d2 = torch.cdist(bins.double(), bins.double()).square()
    kernel = torch.exp(-d2 / (2 * PRIOR_SIGMA**2))
    smoothed = kernel @ prior
    return (smoothed / smoothed.sum()).float()


def rebalance_weights(prior: torch.Tensor, lam: float = REBALANCE_LAMBDA) -> torch.Tensor:
    """(Q,) per-bin loss weights w ∝ 1 / ((1 - λ) p + λ / Q), normalised so that E_p[w] = 1."""
    q = prior.numel()
    weights = 1.0 / ((1 - lam) * prior + lam / q)
    return weights / (prior * weights).sum()


def annealed_mean(
    logits: torch.Tensor,
    bins: torch.Tensor,
    temperature: float = ANNEAL_T,
    log_bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """(N, Q, H, W) logits -> (N, 2, H, W) ab: the mean of the distribution sharpened by 1/T.

    `log_bias` (Q,) is subtracted from the logits first, i.e. the distribution is divided by exp(log_bias):
    see `prior_correction`.
    """
    # Bins last: the network's output is channels_last, so this is a view and the softmax runs over
    # contiguous memory (about 5x faster on a CPU than a softmax over dim 1, which matters for live previews).
    z = logits.float().movedim(1, -1)
    if log_bias is not None:
        z = z - log_bias.float()
    probs = torch.softmax(z / temperature, dim=-1)
    return (probs @ bins.float()).movedim(-1, 1).contiguous()


def prior_correction(prior: torch.Tensor, strength: float) -> torch.Tensor | None:
    """(Q,) log-bias that undoes `strength` (0-1) of the class rebalancing at decode time.

    A cross-entropy whose pixels are weighted by w(true bin) is minimised by p(q | x) ∝ w(q) p_true(q | x): the
    rebalancing that keeps rare saturated colours alive in training also tilts every prediction towards them.
    Dividing by w^strength takes part of that tilt back without retraining (strength 1: none of it is left);
    a negative strength adds more of it (more vivid colours).
    """
    if not strength:
        return None
    return strength * torch.log(rebalance_weights(prior.float()))
