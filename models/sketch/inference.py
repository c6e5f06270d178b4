"""The sketch network on tensors: one forward pass on ink (and, for the evaluation's old way, its hint input).

The app (`app.core.sketch`) draws with no hints and spreads the colour strokes afterwards (`models.sketch.strokes`);
the stroke-locality evaluation calls the same pieces, so what it measures is what ships.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def network_picture(
    model, ink: torch.Tensor, rgb: torch.Tensor, mask: torch.Tensor, device: torch.device | str
) -> torch.Tensor:
    """One forward pass on (1,1,h,w) ink and (1,3,h,w) / (1,1,h,w) hints (the network's own hint input, which
    the evaluation still measures as the old way), padded to the network's stride -> (1,3,h,w) float CPU."""
    size = tuple(ink.shape[-2:])
    inputs = torch.cat([ink, rgb * mask, mask], dim=1)
    stride = model.stride
    inputs = F.pad(inputs, (0, (-size[1]) % stride, 0, (-size[0]) % stride))
    with torch.inference_mode():
        out = model(inputs.to(device=device, dtype=next(model.parameters()).dtype))
    return out[..., : size[0], : size[1]].float().cpu()
