"""Measure the face detector and derive the alignment template.

`python -m latent_studio.models.faces.measure --data /work/shared/datasets/utkface/images
--weights weights/mtcnn-v1.safetensors`

Two figures for the detector, from UTKFace *training* crops (every k-th of the training split, never val):

1. the canonical 5-point template: the mean landmark positions on the 200x200 crops, as fractions of the
   crop side (the frame the face VAE was trained in; `app.core.face_align.TEMPLATE` records the result);
2. detection on those crops pasted at a known place and scale (160-320 px) into a 1280x960 noise picture:
   found rate, box-centre error, landmark error against the same face's landmarks in its own crop (as a
   fraction of the inter-ocular distance), and the time per 1.2 MP picture on this machine's CPU.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

from latent_studio.models.faces.detect import detect
from latent_studio.models.faces.mtcnn import MTCNN
from latent_studio.models.vae.split import is_val


def load(weights: Path) -> MTCNN:
    model = MTCNN()
    model.load_state_dict(load_file(str(weights)), strict=True)
    return model.eval().requires_grad_(False)


def training_crops(folder: Path, count: int) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png") and not is_val(p.name))
    step = max(1, len(files) // count)
    return files[::step][:count]


def measure(model: MTCNN, files: list[Path], seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    own, errors, centre_errors, times, found = [], [], [], [], 0
    for path in files:
        face = np.asarray(Image.open(path).convert("RGB"))
        side = face.shape[0]
        detections = detect(model, face, min_face=side * 0.4)
        if not detections:
            continue
        points = detections[0].landmarks / side
        own.append(points)
        # the same face at a known place and scale in a larger picture
        scale = int(rng.integers(160, 321))
        x, y = int(rng.integers(0, 1280 - scale)), int(rng.integers(0, 960 - scale))
        canvas = rng.integers(0, 256, (960, 1280, 3), dtype=np.uint8)
        canvas[y : y + scale, x : x + scale] = np.asarray(
            Image.fromarray(face).resize((scale, scale), Image.Resampling.LANCZOS)
        )
        started = time.perf_counter()
        placed = detect(model, canvas)
        times.append(time.perf_counter() - started)
        if placed:
            expected = points * scale + (x, y)
            ocular = np.linalg.norm(expected[1] - expected[0])
            box = placed[0].box
            centre_errors.append(
                np.hypot((box[0] + box[2]) / 2 - x - scale / 2, (box[1] + box[3]) / 2 - y - scale / 2) / scale
            )
            errors.append(float(np.linalg.norm(placed[0].landmarks - expected, axis=1).mean() / ocular))
            found += len(errors) and errors[-1] < 0.25
    template = np.mean(own, axis=0)
    return {
        "template": np.round(template, 4).tolist(),
        "crops": len(files),
        "detected_in_own_crop": len(own),
        "placed_found_rate": round(found / max(1, len(own)), 4),
        "placed_landmark_error_iod_median": round(float(np.median(errors)), 4) if errors else None,
        "placed_box_centre_error_median": round(float(np.median(centre_errors)), 4) if centre_errors else None,
        "seconds_per_1.2mp_median": round(float(np.median(times)), 3) if times else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.faces.measure", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", type=Path, required=True, help="UTKFace images folder")
    parser.add_argument("--weights", type=Path, required=True, help="mtcnn-v1.safetensors")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--out", type=Path, help="write the figures here as JSON (for convert_mtcnn --metrics)")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    figures = measure(load(args.weights), training_crops(args.data, args.count))
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
