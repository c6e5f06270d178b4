"""`python -m latent_studio.models.evaluate sketch --data .gpu/sketch_val.npz [--weights W] [--out report.json]
[--grid grid.png]`,
or `... sketch --stroke-locality BSDS500/groundTruth/val [--stroke-montage M.png]` (colour strokes stay local?).

Scores the sketch generator on held-out pairs of people's drawings and photos (BSDS500 val: a sketch pack
or the dataset folder itself), beside trivial baselines measured in the same run: the mean training image
and the sketch itself. Prints a markdown table and writes a JSON report and a sample grid.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from latent_studio.models.errors import LatentStudioError
from latent_studio.models.sketch.data import load_sources
from latent_studio.models.sketch.network import SketchUNet
from latent_studio.models.sketch.scoring import markdown_table, mean_image, save_grid, score


def load_generator(weights: Path | None, config_path: Path | None, device: torch.device) -> SketchUNet:
    """The shipped generator (through the registry) or a trained file with its config.json beside it."""
    from latent_studio.models.registry import default_registry

    if weights is None:
        model = default_registry().load_model("sketch", device)
    else:
        config = json.loads(config_path.read_text()) if config_path is not None and config_path.is_file() else None
        model = default_registry().load_trained("sketch", weights, device, config)
    if not isinstance(model, SketchUNet):
        raise TypeError(f"the registry's 'sketch' built a {type(model).__name__}, not a SketchUNet")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.evaluate sketch", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", nargs="+", help="held-out sketch pack(s) or the BSDS500 folder (val split)")
    parser.add_argument("--weights", type=Path, help="a trained .safetensors (default: the shipped model)")
    parser.add_argument("--config", type=Path, help="architecture config.json (default: beside --weights)")
    parser.add_argument(
        "--train-data", nargs="*", default=[".gpu/sketch_train.npz"], help="photos for the mean-image baseline"
    )
    parser.add_argument("--out", type=Path, help="JSON report")
    parser.add_argument("--grid", type=Path, help="sample grid PNG (sketch | ours | hints | ours with hints | real)")
    parser.add_argument("--limit", type=int, default=0, help="score at most this many pairs (0 = all)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--stroke-locality",
        type=Path,
        metavar="DIR",
        help="instead: colour-stroke locality on BSDS500 groundTruth/val (models/sketch/stroke_locality.py)",
    )
    parser.add_argument("--stroke-montage", type=Path, metavar="PNG", help="with --stroke-locality: a sample montage")
    args = parser.parse_args(argv)
    if args.stroke_locality is not None:
        return _stroke_locality(args)
    if not args.data:
        parser.error("--data is required (or --stroke-locality DIR)")

    device = torch.device(args.device)
    try:
        val = load_sources(args.data, bsds_split="val")
        if not val.lines:
            raise LatentStudioError(
                "The evaluation data has no human line maps: pass a sketch pack or the BSDS500 folder."
            )
        model = load_generator(args.weights, args.config, device)
        train_sources = [p for p in args.train_data if Path(p).exists()]
        mean = mean_image(load_sources(train_sources, bsds_split="train").photos) if train_sources else None
    except LatentStudioError as error:
        print(f"error: {error}")
        return 2
    start = time.perf_counter()
    report, samples = score(model, val, mean, limit=args.limit or None, seed=args.seed)
    seconds = time.perf_counter() - start
    print(markdown_table(report))
    full = {
        "model": "sketch",
        "weights": str(args.weights) if args.weights else "shipped",
        "data": [str(p) for p in args.data],
        "mean_image_from": train_sources,
        "pairs": next(iter(report.values()))["pairs"],
        "seconds": round(seconds, 1),
        "results": report,
    }
    if args.out:
        args.out.write_text(json.dumps(full, indent=2))
    if args.grid:
        save_grid(samples, args.grid)
    return 0


def _stroke_locality(args: argparse.Namespace) -> int:
    """The colour-stroke locality table (old: the network fed the stroke; new: the spread correction)."""
    from latent_studio.models.sketch import stroke_locality

    try:
        items = stroke_locality.read_drawings(args.stroke_locality, args.limit)
    except LatentStudioError as error:
        print(f"error: {error}")
        return 2
    montage: list = []
    start = time.perf_counter()
    report = stroke_locality.measure(items, montage=montage)
    print(stroke_locality.markdown(report))
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "model": "sketch",
                    "stroke_locality": report,
                    "drawings": len(items),
                    "seconds": round(time.perf_counter() - start, 1),
                },
                indent=2,
            )
        )
    if args.stroke_montage:
        stroke_locality.save_montage(montage, args.stroke_montage)
    return 0
