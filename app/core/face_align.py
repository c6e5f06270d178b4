"""Faces aligned like the training crops: a similarity transform from 5 landmarks, the warp into the model's
frame, and the feathered face mask the edit goes back through.

The training faces are UTKFace's aligned 200x200 crops resized to the model's size, so the model's frame is
that crop. `TEMPLATE` is where the 5 landmarks sit in it (fractions of the side), the mean of the MTCNN
landmarks on 198 of 200 UTKFace training crops (every 46th of the training split), derived with

    python -m latent_studio.models.faces.measure --data ../shared/datasets/utkface/images \
        --weights weights/mtcnn-v1.safetensors --count 200

A matrix here is always photo -> crop (2x3, for cv2.warpAffine); the crop side is a parameter (64 today).
"""

from __future__ import annotations

import cv2
import numpy as np

#: left eye, right eye, nose, left and right mouth corner (as seen), x and y as fractions of the crop side
TEMPLATE = np.array(
    [[0.2953, 0.2950], [0.6929, 0.2965], [0.4926, 0.5223], [0.3131, 0.6910], [0.6715, 0.6925]], np.float64
)
MAX_REDUCTION = 8  # a large face is warped to at most 8x the crop side, then area-reduced (no aliasing)


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares similarity (rotation, uniform scale, shift; no reflection) mapping `source`
    points onto `target` points (Umeyama 1991)."""
    source, target = np.asarray(source, np.float64), np.asarray(target, np.float64)
    mean_s, mean_t = source.mean(0), target.mean(0)
    s, t = source - mean_s, target - mean_t
    covariance = t.T @ s / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    variance = (s**2).sum() / len(source)
    scale = float(np.trace(np.diag(singular) @ sign) / variance) if variance > 0 else 1.0
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = mean_t - matrix[:, :2] @ mean_s
    return matrix


def alignment(landmarks: np.ndarray, size: int) -> np.ndarray:
    """photo -> crop matrix putting the 5 landmarks on the template of a size x size crop."""
    return similarity(landmarks, TEMPLATE * size)


def box_matrix(x: float, y: float, side: float, size: int) -> np.ndarray:
    """photo -> crop matrix of an axis-aligned square box."""
    scale = size / side
    return np.array([[scale, 0.0, -x * scale], [0.0, scale, -y * scale]])


def scale_of(matrix: np.ndarray) -> float:
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.asarray(points, np.float64) @ matrix[:, :2].T + matrix[:, 2]


def invert(matrix: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(matrix.astype(np.float64))


def warp_in(rgb: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The size x size crop of `rgb` (H, W, 3) uint8 under `matrix`; parts past the edges are edge-padded.
    A big face is warped at k times the size first and area-reduced, so the crop does not alias."""
    k = int(min(MAX_REDUCTION, max(1, round(1 / max(scale_of(matrix), 1e-6)))))
    big = matrix * np.array([[k], [k]])
    warped = cv2.warpAffine(
        np.ascontiguousarray(rgb[..., :3]),
        big,
        (size * k, size * k),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    if k > 1:
        warped = cv2.resize(warped, (size, size), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(warped)


def face_mask(size: int, points: np.ndarray | None, feather: float = 0.25) -> np.ndarray:
    """(size, size) float32 in [0, 1]: an ellipse over the face (from its 5 landmarks in crop pixels: the
    eyes' width, brow to chin), feathered over `feather` of its radius; zero on the crop's border.
    Without landmarks, a superellipse filling the crop (a user's box)."""
    coords = np.linspace(-1, 1, size, dtype=np.float32)
    border = np.clip((1 - np.maximum(np.abs(coords)[None, :], np.abs(coords)[:, None])) / 0.08, 0, 1)
    if points is None:
        radius = (np.abs(coords)[None, :] ** 4 + np.abs(coords)[:, None] ** 4) ** 0.25
        return (np.clip((1 - radius) / 0.15, 0, 1) * border).astype(np.float32)
    points = np.asarray(points, np.float64)
    eyes, mouth = points[:2].mean(0), points[3:].mean(0)
    axis = eyes - mouth
    height = np.linalg.norm(axis)  # eye line to mouth line
    width = np.linalg.norm(points[1] - points[0])
    centre = (eyes + mouth) / 2 + 0.1 * axis  # a little above the middle: brows in, neck out
    angle = np.arctan2(axis[0], -axis[1])  # the face's tilt
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    dx, dy = xs - centre[0], ys - centre[1]
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = -dx * np.sin(angle) + dy * np.cos(angle)
    radius = np.sqrt((u / (0.95 * width)) ** 2 + (v / (1.25 * height)) ** 2)
    return (np.clip((1 - radius) / feather, 0, 1) * border).astype(np.float32)


def mask_in_photo(matrix: np.ndarray, mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """(height, width) float32: the crop-frame `mask` warped back into the photo (0 where nothing changes)."""
    return cv2.warpAffine(
        np.ascontiguousarray(mask, np.float32),
        matrix.astype(np.float64),
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def paste_change(
    photo: np.ndarray, crop_image: np.ndarray, matrix: np.ndarray, mask: np.ndarray, replace: bool
) -> np.ndarray:
    """The photo with a crop-frame picture warped back under `mask` (both (S, S, ...) in crop pixels).

    `replace=False`: `crop_image` is a change in 0-1 units, added to the photo (the edit's delta: a zero
    change leaves every pixel as it was). `replace=True`: it is a 0-1 face blended in over the mask.
    Pixels where the warped mask is 0 never change; size, dtype and alpha are kept.
    """
    result = photo.copy()
    height, width = photo.shape[:2]
    size = mask.shape[0]
    corners = apply(invert(matrix), np.array([[0, 0], [size, 0], [0, size], [size, size]], np.float64))
    x0, y0 = (max(0, int(np.floor(v))) for v in corners.min(0))
    x1, y1 = int(min(width, np.ceil(corners[:, 0].max()))), int(min(height, np.ceil(corners[:, 1].max())))
    if x0 >= x1 or y0 >= y1:
        return result
    local = matrix.astype(np.float64).copy()
    local[:, 2] += local[:, :2] @ np.array([x0, y0], np.float64)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP

    def back(image: np.ndarray) -> np.ndarray:
        return cv2.warpAffine(
            np.ascontiguousarray(image, np.float32),
            local,
            (x1 - x0, y1 - y0),
            flags=flags,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )

    weight = back(mask)[..., None]
    top = 65535.0 if photo.dtype == np.uint16 else 255.0
    region = photo[y0:y1, x0:x1, :3].astype(np.float32)
    moved = back(crop_image).reshape(y1 - y0, x1 - x0, -1) * top
    blended = region * (1 - weight) + moved * weight if replace else region + moved * weight
    result[y0:y1, x0:x1, :3] = np.where(weight > 0, np.clip(np.rint(blended), 0, top), region).astype(photo.dtype)
    return result
