"""Automatic colour by retrieval: each photo colorized with references picked by content from a bank of photos.

Issue #13 allows Auto to pick references from a shipped bank of openly licensed photos and colour through the
reference path (`reference.py`). We have no openly licensed scene bank to ship, so this module only measures
the idea (`python -m latent_studio.models.evaluate colorizer --retrieval-bank DIR`): with any bank, if even
a large research-licensed one cannot lift the automatic numbers, an open bank of the same size cannot either.

Retrieval: every bank photo is described once (the reference path's cell descriptors, at the working size)
and summarised by their mean direction; a photo takes the `k` bank photos whose summaries are most similar
(cosine), and their cells are pooled into one reference, so each cell of the photo matches among all of them.
The network's colours take over where no match is sure, as with a user's reference.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from latent_studio.models.color import lab_to_rgb, rgb_to_lab
from latent_studio.models.colorizer.inference import network_output, resize, spatial_shape, working_shape
from latent_studio.models.colorizer.reference import (
    PreparedReference,
    describe,
    prepare_reference_rgb,
    reference_ab,
)
from latent_studio.models.colorizer.validate import photo_tensor

NETWORK_SHARE = 0.5  # the blended row: this share of the network's colours, the rest from retrieval
_TENSORS = ("features", "ab", "slope", "level")  # PreparedReference's per-cell tensors


@dataclass(frozen=True)
class RetrievalBank:
    """Every bank photo reduced to what retrieval and matching need (half precision: a bank of 2,000 photos at
    working size 256 holds ~1.5 GB of cell descriptors)."""

    summaries: torch.Tensor  # (P, C) unit mean descriptor of each photo
    references: list[PreparedReference]  # each photo prepared as a user's reference is, in half precision
    working_size: int


def build_bank(photos: list[np.ndarray], model, working_size: int, device: torch.device) -> RetrievalBank:
    """Describe each (H,W,3) uint8 colour photo (as `read_photos` gives them, gray ones dropped) once at
    `working_size`, as a user's reference photo is."""
    summaries, references = [], []
    for photo in photos:
        prepared = prepare_reference_rgb(photo_tensor(photo, device), model, working_size)
        summaries.append(_summary(prepared.features))  # from the full-precision descriptors
        references.append(replace(prepared, **{field: getattr(prepared, field).half() for field in _TENSORS}))
    return RetrievalBank(torch.stack(summaries), references, working_size)


def ranked(bank: RetrievalBank, model, small: torch.Tensor) -> list[int]:
    """(1,1,h,w) L at the working shape -> the bank's photos, most similar first."""
    with torch.inference_mode():
        similarity = bank.summaries @ _summary(describe(model, small.float()))
        return similarity.argsort(descending=True).tolist()


def pooled(bank: RetrievalBank, chosen: list[int]) -> PreparedReference:
    """The `chosen` bank photos as one reference: each cell of a picture matches among all their cells."""
    tensors = {field: torch.cat([getattr(bank.references[i], field) for i in chosen]).float() for field in _TENSORS}
    return PreparedReference(**tensors, working_size=bank.working_size, digest="")


def retrieval_results(
    bank: RetrievalBank, model, lightness: torch.Tensor, counts: tuple[int, ...]
) -> dict[str, torch.Tensor]:
    """(1,1,H,W) full-resolution L -> the RGB result of each retrieval method: `k` references (the network
    filling in where no match is sure), and the same blended with the network's colours."""
    size = working_shape(*spatial_shape(lightness), bank.working_size)
    results = {}
    with torch.inference_mode():
        small = resize(lightness.float(), size)
        output, _ = network_output(model, lightness, (), bank.working_size)
        network = resize(model.decode(output), size)
        order = ranked(bank, model, small)
        for count in counts:
            ab = reference_ab(pooled(bank, order[:count]), model, small, network)
            blended = NETWORK_SHARE * network + (1 - NETWORK_SHARE) * ab
            for name, chroma in ((f"retrieval, {count} references", ab), (f"retrieval {count}, blended", blended)):
                full = resize(chroma, spatial_shape(lightness))
                results[name] = lab_to_rgb(torch.cat([lightness.float(), full], dim=1))
    return results


def _summary(features: torch.Tensor) -> torch.Tensor:
    mean = features.float().mean(dim=0)
    return mean / mean.norm().clamp_min(1e-6)


def evaluate_retrieval(
    photos: list[np.ndarray], bank: RetrievalBank, model, counts: tuple[int, ...], device: torch.device
) -> dict[str, dict[str, float]]:
    """Mean scores (as `evaluate colorizer` reports them) of each retrieval method over the held-out photos;
    the bank must not hold them."""
    from latent_studio.models.colorizer.metrics import image_scores, summarize

    rows: dict[str, list] = {}
    for photo in photos:
        rgb = photo_tensor(photo, device)
        for name, result in retrieval_results(bank, model, rgb_to_lab(rgb)[:, :1], counts).items():
            rows.setdefault(name, []).append(image_scores(result, rgb))
    return {name: summarize(values) for name, values in rows.items()}
