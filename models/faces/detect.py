"""The MTCNN cascade: P-Net over an image pyramid proposes windows, R-Net and O-Net refine them; each stage
regresses the box and drops overlaps (non-maximum suppression); O-Net adds 5 landmarks.

`detect(model, rgb)` -> list of `Detection` (box x1, y1, x2, y2, score, landmarks (5, 2)), best first, in
the picture's pixels. Large pictures are first reduced so that the smallest face searched for stays above
P-Net's 12-pixel window; crops for the later stages are cut and resized in one batch with roi_align.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import nms, roi_align

from latent_studio.models.faces.mtcnn import MTCNN

THRESHOLDS = (0.6, 0.7, 0.8)  # face probability kept after P-Net, R-Net, O-Net
PYRAMID_FACTOR = 0.709  # each pyramid level's side is this times the previous one (area halves)
MIN_FACE_FRACTION = 0.08  # the smallest face searched for, as a fraction of the picture's shorter side
MIN_FACE = 20  # ... and never below this many pixels
WORK_SIDE = 640  # the cascade runs on a copy whose shorter side is at most this (faces stay >= 51 px)


@dataclass(frozen=True)
class Detection:
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in picture pixels
    score: float
    landmarks: np.ndarray  # (5, 2) x, y: left eye, right eye, nose, left and right mouth corner (as seen)


def _square(boxes: torch.Tensor) -> torch.Tensor:
    """(K, 4) boxes made square about their centres (side = the longer side)."""
    centre = (boxes[:, :2] + boxes[:, 2:4]) / 2
    side = (boxes[:, 2:4] - boxes[:, :2]).max(dim=1, keepdim=True).values
    return torch.cat([centre - side / 2, centre + side / 2], dim=1)


def _regress(boxes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Apply the networks' box offsets (fractions of the box's width and height)."""
    size = (boxes[:, 2:4] - boxes[:, :2]).repeat(1, 2)
    return boxes + offsets * size


def _crops(image: torch.Tensor, boxes: torch.Tensor, side: int) -> torch.Tensor:
    """(K, 3, side, side): each box cut from `image` (1, 3, H, W) and resized; outside the picture reads 0."""
    rois = torch.cat([torch.zeros(len(boxes), 1, dtype=boxes.dtype), boxes], dim=1)
    return roi_align(image, rois, (side, side), spatial_scale=1.0, sampling_ratio=2, aligned=True)


def _proposals(pnet, image: torch.Tensor, min_face: float) -> torch.Tensor:
    """Stage 1: (K, 5) boxes + scores from P-Net over the pyramid."""
    height, width = image.shape[2:]
    scale = 12.0 / min_face
    found = []
    while min(height, width) * scale >= 12:
        size = (max(12, math.ceil(height * scale)), max(12, math.ceil(width * scale)))
        level = (
            F.interpolate(image, size=size, mode="area")
            if scale < 1
            else F.interpolate(image, size=size, mode="bilinear", align_corners=False)
        )
        probs, offsets = pnet(level)
        ys, xs = torch.nonzero(probs[0] > THRESHOLDS[0], as_tuple=True)
        if len(ys):
            # each output cell sees a 12x12 window at stride 2 of this level
            corner = torch.stack([xs, ys], dim=1).float() * 2
            boxes = torch.cat([corner, corner + 12], dim=1) / scale
            scores = probs[0, ys, xs]
            keep = nms(boxes, scores, 0.5)
            found.append(torch.cat([_regress(boxes[keep], offsets[0, :, ys, xs].T[keep]), scores[keep, None]], dim=1))
        scale *= PYRAMID_FACTOR
    if not found:
        return torch.zeros(0, 5)
    boxes = torch.cat(found)
    return boxes[nms(boxes[:, :4], boxes[:, 4], 0.7)]


def _refine(net, image: torch.Tensor, boxes: torch.Tensor, side: int, threshold: float):
    squares = _square(boxes[:, :4])
    outputs = net(_crops(image, squares, side))
    keep = outputs[0] > threshold
    return squares[keep], outputs[0][keep], [out[keep] for out in outputs[1:]]


@torch.no_grad()
def detect(model: MTCNN, rgb: np.ndarray, min_face: float | None = None, limit: int = 20) -> list[Detection]:
    """Faces in an (H, W, 3) uint8 RGB picture, best first (at most `limit`)."""
    height, width = rgb.shape[:2]
    reduce = min(1.0, WORK_SIDE / min(height, width))
    image = torch.from_numpy(np.array(rgb[..., :3], np.float32, copy=True)).permute(2, 0, 1)[None].float()
    image = (image - 127.5) / 128.0
    if reduce < 1:
        image = F.interpolate(image, scale_factor=reduce, mode="area", recompute_scale_factor=False)
    short = min(image.shape[2:])
    min_face = max(MIN_FACE, MIN_FACE_FRACTION * short) if min_face is None else max(12.0, min_face * reduce)
    # 1. proposals from the pyramid
    boxes = _proposals(model.pnet, image, min_face)
    if not len(boxes):
        return []
    # 2. R-Net: keep, regress, suppress overlaps
    squares, scores, (offsets,) = _refine(model.rnet, image, boxes, 24, THRESHOLDS[1])
    boxes = _regress(squares, offsets)
    keep = nms(boxes, scores, 0.7)
    boxes, scores = boxes[keep], scores[keep]
    if not len(boxes):
        return []
    # 3. O-Net: the final boxes and the landmarks (fractions of the square it saw)
    squares, scores, (offsets, points) = _refine(
        model.onet, image, torch.cat([boxes, scores[:, None]], 1), 48, THRESHOLDS[2]
    )
    size = squares[:, 2:4] - squares[:, :2]
    landmarks = torch.stack(
        [squares[:, :1] + points[:, :5] * size[:, :1], squares[:, 1:2] + points[:, 5:] * size[:, 1:]], dim=2
    )
    boxes = _regress(squares, offsets)
    keep = nms(boxes, scores, 0.7)[:limit]
    return [
        Detection(tuple(float(v) / reduce for v in boxes[i]), float(scores[i]), landmarks[i].numpy() / reduce)
        for i in keep.tolist()
    ]
