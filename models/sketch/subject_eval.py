"""A sketch subject's generator (face, clothing) scored on its held-out photos beside the baselines of issue #15.

Per held-out photo (a photo pack such as .gpu/faces128_val.npz, never trained on):
1. resized so its short side is the subject's `resolution`, aspect kept (antialiased bilinear), as the app runs
   the network; the generator pads with blank paper to its stride and the picture is cropped back, so every
   pixel of the photo is scored and nothing is cut off;
2. lines drawn in the subject's style, deterministically, by the function `sketch --extract --subject` uses:
   `sketch_like(photo, resolution, line_sigma, line_density)`;
3. the subject's generator on those lines alone (no colour hints); L1, PSNR and SSIM against the photo.
Baselines on the same photos in the same run:
- mean image: the per-pixel mean of the training photos prepared the same way, one mean per prepared shape
  (a shape no training photo has takes the mean of the nearest aspect ratio, resized);
- flat mean colour: one RGB colour, the training photos' mean;
- scene model: the general `sketch` generator on the same lines at the same size;
- any other weights of the subject's architecture (`--baseline-weights`, e.g. the previous file).
The items are a seeded permutation of the pack (its first `limit`); the samples are the first ten of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from latent_studio.models.datapack import decode, load_blobs
from latent_studio.models.errors import LatentStudioError
from latent_studio.models.sketch.data import SketchSet, load_sources
from latent_studio.models.sketch.lines import sketch_like
from latent_studio.models.sketch.network import SketchUNet, make_input
from latent_studio.models.sketch.scoring import generate, image_scores
from latent_studio.models.sketch.subjects import Subject

SAMPLES = 10
TARGET_DB = {"face": 3.0, "clothing": 3.0, "scene": 1.0}  # issue #15: ours above the baseline named below
TARGET_BASELINE = {"face": "mean image", "clothing": "mean image", "scene": "flat mean colour"}


def configure_threads() -> int:
    """torch's CPU threads as LATENT_STUDIO_THREADS says (unset: torch's own choice), denormals flushed as the app
    does; returns the thread count."""
    threads = int(os.environ.get("LATENT_STUDIO_THREADS", "0") or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    return torch.get_num_threads()


def prepare(photo: np.ndarray, resolution: int) -> torch.Tensor:
    """HxWx3 uint8 -> (1,3,h,w) float in [0,1] with short side `resolution`, aspect kept."""
    rgb = torch.from_numpy(np.array(photo, copy=True)).permute(2, 0, 1)[None].float() / 255.0
    h, w = rgb.shape[-2:]
    if min(h, w) == resolution:
        return rgb
    scale = resolution / min(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    return F.interpolate(rgb, size=size, mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)


@torch.inference_mode()
def subject_lines(rgb: torch.Tensor, subject: Subject) -> torch.Tensor:
    """(1,1,h,w) ink of a prepared photo in the subject's line style."""
    return sketch_like(
        rgb, subject.resolution, sigma=subject.line_sigma, density=subject.line_density, fill_below=subject.fill_below
    )


class MeanImages:
    """Running per-pixel means of prepared training photos, one per shape, and their flat mean colour."""

    def __init__(self) -> None:
        self.sums: dict[tuple[int, int], torch.Tensor] = {}
        self.counts: dict[tuple[int, int], int] = {}

    def add(self, rgb: torch.Tensor) -> None:
        shape = (int(rgb.shape[-2]), int(rgb.shape[-1]))
        self.sums[shape] = self.sums.get(shape, torch.zeros_like(rgb)) + rgb
        self.counts[shape] = self.counts.get(shape, 0) + 1

    def __len__(self) -> int:
        return sum(self.counts.values())

    def mean_for(self, h: int, w: int) -> torch.Tensor:
        """(1,3,h,w): the mean of the training photos of this shape, else of the nearest aspect ratio, resized."""
        if (h, w) in self.sums:
            return self.sums[(h, w)] / self.counts[(h, w)]
        nearest = min(self.sums, key=lambda s: (abs(np.log((s[0] / s[1]) / (h / w))), -self.counts[s]))
        mean = self.sums[nearest] / self.counts[nearest]
        return F.interpolate(mean, size=(h, w), mode="bilinear", antialias=True, align_corners=False)

    def flat(self) -> torch.Tensor:
        """(1,3,1,1) the mean colour of every training pixel."""
        total = sum(s.sum(dim=(-2, -1), keepdim=True) for s in self.sums.values())
        pixels = sum(shape[0] * shape[1] * self.counts[shape] for shape in self.sums)
        return torch.as_tensor(total) / max(1, pixels)


def train_photos(sources: list[str]) -> Iterator[np.ndarray]:
    """The photos (HxWx3 uint8) of packs or folders one at a time (a sketch pack's line maps skipped), so a large
    training pack's mean never holds every photo in memory."""
    for entry in sources:
        source = Path(entry)
        if not source.exists():
            raise LatentStudioError(f"The data source {source} does not exist.")
        if source.suffix != ".npz":
            yield from load_sources([source], bsds_split="train").photos
            continue
        _, blobs, extra = load_blobs(source)
        for blob, kind in zip(blobs, extra.get("kind", np.zeros(len(blobs))), strict=True):
            if kind == 0:
                array = decode(blob)
                yield array if array.ndim == 3 else np.repeat(array[..., None], 3, axis=2)


def means_of(photos: Iterable[np.ndarray], resolution: int) -> MeanImages:
    """The mean images and flat colour of `photos` prepared at `resolution`; none at all is one line."""
    means = MeanImages()
    for photo in photos:
        means.add(prepare(photo, resolution))
    if not len(means):
        raise LatentStudioError("The training data has no photos for the mean-image baseline.")
    return means


def pick(count: int, limit: int | None, seed: int) -> list[int]:
    """The items scored: a seeded permutation of range(count), its first `limit` (None or 0: all)."""
    order = np.random.default_rng(seed).permutation(count).tolist()
    return order[: limit or None]


@torch.inference_mode()
def evaluate_subject(
    model: SketchUNet,
    subject: Subject,
    photos: list[np.ndarray],
    means: MeanImages,
    others: dict[str, SketchUNet],
    limit: int | None = 200,
    seed: int = 0,
) -> tuple[dict, list[tuple[torch.Tensor, ...]]]:
    """({method: {l1, psnr, ssim, items}}, samples (lines, ours, scene model or None, photo) of the first ten)."""
    device = next(model.parameters()).device
    flat = means.flat()
    totals: dict[str, np.ndarray] = {}
    samples: list[tuple[torch.Tensor, ...]] = []
    for i in pick(len(photos), limit, seed):
        # 1. The photo at the subject's scale and its lines in the subject's style
        real = prepare(photos[i], subject.resolution)
        ink = subject_lines(real, subject)
        inputs = make_input(ink).to(device)
        # 2. Ours and every baseline on the same lines and photo
        rows = {"ours": generate(model, inputs).cpu()}
        rows |= {name: generate(other, inputs).cpu() for name, other in others.items()}
        rows["mean image"] = means.mean_for(*real.shape[-2:])
        rows["flat mean colour"] = flat.expand_as(real)
        for name, pred in rows.items():
            totals[name] = totals.get(name, np.zeros(4)) + np.array([*image_scores(pred, real), 1.0])
        if len(samples) < SAMPLES:
            lines = (1 - ink).expand(-1, 3, -1, -1)
            scene = rows.get("scene model", torch.ones_like(real))
            samples.append(tuple(t[0] for t in (lines, rows["ours"], scene, real)))
    report = {
        name: {"l1": float(v[0] / v[3]), "psnr": float(v[1] / v[3]), "ssim": float(v[2] / v[3]), "items": int(v[3])}
        for name, v in totals.items()
    }
    return report, samples


def gains(report: dict) -> dict[str, float]:
    """Ours minus each baseline's mean PSNR, in dB."""
    ours = report["ours"]["psnr"]
    return {
        name: round(float(ours - row["psnr"]), 3)
        for name, row in report.items()
        if name not in ("ours", "ours + hints")
    }


def target(subject_name: str, gain: dict[str, float]) -> dict:
    """Issue #15's target for this subject and whether the run meets it."""
    baseline, needed = TARGET_BASELINE[subject_name], TARGET_DB[subject_name]
    measured = gain.get(baseline)
    return {
        "baseline": baseline,
        "needed_db": needed,
        "measured_db": measured,
        "met": bool(measured is not None and measured >= needed),
    }


def gain_lines(gain: dict[str, float], goal: dict) -> str:
    """Markdown lines under the table: ours - each baseline, and the target."""
    lines = [f"ours - {name}: {value:+.2f} dB" for name, value in gain.items()]
    if goal["measured_db"] is not None:
        verdict = "met" if goal["met"] else "not met"
        lines.append(f"target: ours - {goal['baseline']} >= +{goal['needed_db']:.0f} dB: {verdict}")
    return "\n\n".join(lines)


@torch.inference_mode()
def montage_rows(
    model: SketchUNet, subject: Subject, held_out: SketchSet, count: int = SAMPLES, seed: int = 0
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """(lines, results) of `count` seeded held-out items: people's drawings where the set has them (BSDS500 val,
    at the pack's size, as `score` runs them), else lines extracted in the subject's style at its scale."""
    device = next(model.parameters()).device
    inks: list[torch.Tensor] = []
    if held_out.lines:
        first: dict[int, int] = {}  # each photo's first drawing, so the ten are ten different photos
        for index, owner in enumerate(held_out.line_owner):
            first.setdefault(owner, index)
        drawings = [first[owner] for owner in sorted(first)]
        for i in pick(len(drawings), count, seed):
            line = np.array(held_out.lines[drawings[i]], copy=True)
            inks.append(torch.from_numpy(line)[None, None].float() / 255.0)
    else:
        for i in pick(len(held_out.photos), count, seed):
            inks.append(subject_lines(prepare(held_out.photos[i], subject.resolution), subject))
    lines = [(1 - ink[0]).expand(3, -1, -1) for ink in inks]
    results = [generate(model, make_input(ink).to(device))[0].cpu() for ink in inks]
    return lines, results
