"""`python -m latent_studio.models.evaluate colorizer --data DIR [--weights F] [--baseline-weights F]
[--out report.json]`.

Measures the colorizer on held-out colour photos through the app's own pipeline (network at the working
size, chroma applied to the full-resolution lightness): PSNR and SSIM of the RGB result against the
original, and the mean colourfulness of results vs originals (ΔCF; Hasler & Suesstrunk 2003). Two baselines
are measured in the same run: the gray image itself and the plain-L2 model with the same backbone. The
colorizers are also measured with 10 hints of the true colour at random pixels (what a user adds).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

import torch

from latent_studio.models.color import lab_to_rgb, rgb_to_lab
from latent_studio.models.colorizer.data import read_photos
from latent_studio.models.colorizer.inference import colorize_lightness
from latent_studio.models.colorizer.metrics import image_scores, summarize
from latent_studio.models.colorizer.network import Colorizer
from latent_studio.models.colorizer.validate import photo_tensor, true_hints
from latent_studio.models.errors import WeightsError

COLUMNS = (
    ("psnr", "PSNR (dB)"),
    ("ssim", "SSIM"),
    ("colourfulness", "CF"),
    ("delta_colourfulness", "ΔCF"),
    ("neutral_chroma", "neutral chroma"),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.evaluate colorizer", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", nargs="+", required=True, help="held-out colour photos (folders or .npz packs)")
    parser.add_argument("--weights", type=Path, help="colorizer .safetensors (default: the shipped one)")
    parser.add_argument("--baseline-weights", type=Path, help="plain-L2 .safetensors (default: the shipped one)")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--size", type=int, default=256, help="working size (short side)")
    parser.add_argument("--hints", type=int, default=10, help="hints per image for the guided rows (0: none)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N photos")
    parser.add_argument("--temperature", type=float, help="override the colorizer's annealed-mean temperature")
    parser.add_argument(
        "--vividness",
        type=float,
        nargs="*",
        default=[],
        help="also measure the colorizer at these vividness settings (the app's slider, 0-1)",
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--segmentations",
        type=Path,
        help="BSDS500 groundTruth/<split> folder: also measure hint locality (models/colorizer/hint_locality.py)",
    )
    parser.add_argument("--hint-montage", type=Path, help="with --segmentations: write the hint montage PNG here")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also measure reference colorization (own original, mirrored, 15%% cropped off one side)",
    )
    parser.add_argument(
        "--reference-montage",
        type=Path,
        default=Path("/tmp/reference_montage.png"),
        help="with --reference: the montage PNG (gray | auto | with reference | original)",
    )
    parser.add_argument(
        "--retrieval-bank",
        nargs="+",
        help="also measure automatic colour by retrieval: references picked by content from these photos "
        "(folders or .npz packs, never the --data photos; models/colorizer/retrieval.py)",
    )
    parser.add_argument(
        "--retrieval-k",
        type=int,
        nargs="+",
        default=[8, 32],
        help="with --retrieval-bank: how many bank photos each photo takes as references",
    )
    return parser.parse_args(argv)


def load(name: str, weights: Path | None, device: torch.device) -> Colorizer | None:
    """A model from a file (config.json beside it, else the spec's config) or the shipped one from the registry."""
    from latent_studio.models.registry import default_registry

    registry = default_registry()
    if weights is None:
        try:
            model = registry.load_model(name, device)
        except WeightsError as error:
            print(f"note: {name} skipped ({error})")
            return None
    else:
        model = registry.load_trained(name, weights, device)
    if not isinstance(model, Colorizer):
        raise TypeError(f"the registry's {name!r} built a {type(model).__name__}, not a Colorizer")
    return model


def evaluate(photos: list, models: dict[str, Colorizer], size: int, hint_count: int, device: torch.device) -> dict:
    """Mean scores per method over the photos; plus seconds per image of each model."""
    rows: dict[str, list] = {"gray": []}
    seconds: dict[str, float] = {name: 0.0 for name in models}
    for index, photo in enumerate(photos):
        rgb = photo_tensor(photo, device)
        lab = rgb_to_lab(rgb)
        lightness = lab[:, :1]
        gray = lab_to_rgb(torch.cat([lightness, torch.zeros_like(lab[:, 1:])], dim=1))
        rows["gray"].append(image_scores(gray, rgb))
        hints = true_hints(lab, hint_count, index) if hint_count else []
        for name, model in models.items():
            started = time.perf_counter()
            result = colorize_lightness(model, lightness, (), size)
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds[name] += time.perf_counter() - started
            rows.setdefault(name, []).append(image_scores(result, rgb))
            if hints:
                guided = colorize_lightness(model, lightness, hints, size)
                rows.setdefault(f"{name} + {hint_count} hints", []).append(image_scores(guided, rgb))
        if (index + 1) % 10 == 0:
            print(f"  {index + 1}/{len(photos)} photos", file=sys.stderr, flush=True)
    report = {name: summarize(values) for name, values in rows.items()}
    for name, total in seconds.items():
        report[name]["seconds_per_image"] = total / max(len(photos), 1)
    return report


def markdown(report: dict) -> str:
    lines = ["| method | " + " | ".join(title for _, title in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, values in report.items():
        cells = [
            f"{values.get(key, math.nan):.4f}" if key == "ssim" else f"{values.get(key, math.nan):.2f}"
            for key, _ in COLUMNS
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    original = next(iter(report.values()))["colourfulness_original"]
    lines.append(f"\nOriginals' mean colourfulness: {original:.2f} (ΔCF = results - originals; closer to 0 is better).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.retrieval_bank and {Path(p).resolve() for p in args.retrieval_bank} & {
        Path(p).resolve() for p in args.data
    }:
        print("error: the retrieval bank must not hold the photos being evaluated (--data)")
        return 2
    device = torch.device(args.device)
    photos = read_photos(args.data, short_side=0)
    if args.limit:
        photos = photos[: args.limit]
    if not photos:
        print(f"error: no colour photos found in {' '.join(args.data)}")
        return 2
    models = {
        name: model
        for name, model in (
            ("colorizer", load("colorizer", args.weights, device)),
            ("plain L2", load("colorizer-l2", args.baseline_weights, device)),
        )
        if model is not None
    }
    if args.weights is not None:  # a candidate file: the shipped model is its baseline in the same run
        shipped = load("colorizer", None, device)
        if shipped is not None:
            models["previous shipped colorizer"] = shipped
    if args.temperature is not None and "colorizer" in models:
        models["colorizer"].temperature = args.temperature
    if "colorizer" in models:
        for vividness in args.vividness:  # the same weights, decoded as the app does at that slider setting
            variant = copy.copy(models["colorizer"])
            variant.prior_correction = models["colorizer"].vivid_correction(vividness)
            models[f"colorizer, vividness {vividness:g}"] = variant
    report = evaluate(photos, models, args.size, args.hints, device)
    locality = None
    if args.segmentations:  # issue #13: one wrong hint in the largest segment; does it stay there?
        from latent_studio.models.colorizer.hint_locality import run_locality

        plain = {name: models[name] for name in ("colorizer", "plain L2") if name in models}
        locality = run_locality(plain, args.segmentations, args.size, device, args.limit, args.hint_montage)
    if args.reference and "colorizer" in models:  # issue #13 section 2: colour like this photo
        from latent_studio.models.colorizer.reference_protocol import evaluate_reference
        from latent_studio.models.colorizer.validate import save_grid

        reference_rows, montage = evaluate_reference(photos, models["colorizer"], args.size, device)
        report.update({f"reference: {name}": values for name, values in reference_rows.items() if name != "gray"})
        save_grid(montage, args.reference_montage, height=160)
    if args.retrieval_bank and "colorizer" in models:  # issue #13's design freedom: Auto by retrieved references
        from latent_studio.models.colorizer.retrieval import build_bank, evaluate_retrieval

        bank_photos = read_photos(args.retrieval_bank, short_side=args.size)
        bank = build_bank(bank_photos, models["colorizer"], args.size, device)
        retrieved = evaluate_retrieval(photos, bank, models["colorizer"], tuple(args.retrieval_k), device)
        report.update({f"{name} (bank of {len(bank_photos)})": values for name, values in retrieved.items()})
    print(f"{len(photos)} photos, working size {args.size}, device {device}\n")
    print(markdown(report))
    if args.out:
        temperature = models["colorizer"].temperature if "colorizer" in models else None
        payload = {
            "data": [str(d) for d in args.data],
            "images": len(photos),
            "working_size": args.size,
            "hints": args.hints,
            "temperature": temperature,
            "device": str(device),
            "methods": report,
        }
        if locality is not None:
            payload["hint_locality"] = locality
        args.out.write_text(json.dumps(payload, indent=2) + "\n")
    return 0
