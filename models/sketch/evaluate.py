"""`python -m latent_studio.models.evaluate sketch [--subject scene|face|clothing] --data VAL [--train-data TRAIN]
[--weights W] [--baseline-weights W0] [--out report.json] [--grid grid.png] [--limit N]`,
or `... sketch --subjects-montage M.png [--montage-data face=VAL ...]` (ten held-out results of every subject),
or `... sketch --stroke-locality BSDS500/groundTruth/val [--stroke-montage M.png]` (colour strokes stay local?).

scene (the default): the generator on held-out pairs of people's drawings and photos (BSDS500 val: a sketch
pack or the dataset folder itself), beside trivial baselines measured in the same run: the mean training
image, the flat mean colour of the training photos and the sketch itself. face / clothing: the subject's
generator on lines drawn from its held-out photos in its own style (models/sketch/subject_eval.py), beside
the mean image, the flat mean colour, the scene model and any --baseline-weights. Prints a markdown table
with ours minus each baseline in dB and issue #15's target, and writes a JSON report and a sample grid.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from latent_studio.models.errors import LatentStudioError
from latent_studio.models.sketch import subject_eval
from latent_studio.models.sketch.data import load_sources
from latent_studio.models.sketch.network import SketchUNet
from latent_studio.models.sketch.scoring import (
    flat_colour,
    markdown_table,
    mean_image,
    save_grid,
    save_labelled_grid,
    score,
)
from latent_studio.models.sketch.subjects import SUBJECTS, Subject, subject

SUBJECT_LIMIT = 200  # face / clothing items scored by default: a few minutes on a CPU
MONTAGE_DATA = {"scene": ".gpu/sketch_val.npz", "face": ".gpu/faces128_val.npz", "clothing": ".gpu/clothing160_val.npz"}


def load_generator(
    weights: Path | None, config_path: Path | None, device: torch.device, name: str = "sketch"
) -> SketchUNet:
    """The shipped generator `name` (through the registry) or a trained file with its config.json beside it."""
    from latent_studio.models.registry import default_registry

    if weights is None:
        model = default_registry().load_model(name, device)
    else:
        config = json.loads(config_path.read_text()) if config_path is not None and config_path.is_file() else None
        try:
            model = default_registry().load_trained(name, weights, device, config)
        except LatentStudioError:
            raise
        except Exception as error:  # noqa: BLE001 -- any unreadable or misfitting file: one line
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise LatentStudioError(f"Weights file {weights} is not a {name} generator ({first}).") from None
    if not isinstance(model, SketchUNet):
        raise TypeError(f"the registry's '{name}' built a {type(model).__name__}, not a SketchUNet")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.evaluate sketch", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--subject",
        help=f"{' | '.join(SUBJECTS)} (default scene): whose generator and protocol (face/clothing: photos)",
    )
    parser.add_argument(
        "--data",
        nargs="+",
        help="held-out sketch pack(s) or the BSDS500 folder (val split); face/clothing: photo packs",
    )
    parser.add_argument("--weights", type=Path, help="a trained .safetensors (default: the shipped model)")
    parser.add_argument("--config", type=Path, help="architecture config.json (default: beside --weights)")
    parser.add_argument(
        "--baseline-weights", type=Path, help="face/clothing: other weights of the subject's generator, as a baseline"
    )
    parser.add_argument(
        "--train-data",
        nargs="*",
        help="photos for the mean-image and flat-colour baselines (default: scene .gpu/sketch_train.npz; "
        "face/clothing: the --data pack named _train instead of _val)",
    )
    parser.add_argument("--out", type=Path, help="JSON report")
    parser.add_argument("--grid", type=Path, help="sample grid PNG (sketch | ours | hints | ours with hints | real)")
    parser.add_argument(
        "--limit",
        type=int,
        help=f"score at most this many items (0 = all; default: all, face/clothing {SUBJECT_LIMIT})",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--stroke-locality",
        type=Path,
        metavar="DIR",
        help="instead: colour-stroke locality on BSDS500 groundTruth/val (models/sketch/stroke_locality.py)",
    )
    parser.add_argument("--stroke-montage", type=Path, metavar="PNG", help="with --stroke-locality: a sample montage")
    parser.add_argument(
        "--subjects-montage", type=Path, metavar="PNG", help="instead: ten held-out lines | result rows per subject"
    )
    parser.add_argument(
        "--montage-data",
        action="append",
        default=[],
        metavar="SUBJECT=PACK",
        help="with --subjects-montage: a subject's held-out pack (default: " + ", ".join(MONTAGE_DATA.values()) + ")",
    )
    args = parser.parse_args(argv)
    threads = subject_eval.configure_threads()
    if args.stroke_locality is not None:
        return _stroke_locality(args)
    try:
        if args.subjects_montage is not None:
            return _subjects_montage(args)
        chosen = subject(args.subject)
        if not args.data:
            raise LatentStudioError("--data is required (or --subjects-montage PNG, or --stroke-locality DIR).")
        if chosen.name != "scene":
            return _subject(args, chosen, threads)
        if args.baseline_weights is not None:
            raise LatentStudioError("--baseline-weights is for the face and clothing subjects.")
        device = torch.device(args.device)
        val = load_sources(args.data, bsds_split="val")
        if not val.lines:
            raise LatentStudioError(
                "The evaluation data has no human line maps: pass a sketch pack or the BSDS500 folder."
            )
        model = load_generator(args.weights, args.config, device)
        train_default = [".gpu/sketch_train.npz"] if args.train_data is None else args.train_data
        train_sources = [p for p in train_default if Path(p).exists()]
        train_photos = load_sources(train_sources, bsds_split="train").photos if train_sources else []
        mean = mean_image(train_photos) if train_photos else None
        flat = flat_colour(train_photos) if train_photos else None
    except LatentStudioError as error:
        print(f"error: {error}")
        return 2
    start = time.perf_counter()
    report, samples = score(model, val, mean, limit=args.limit or None, seed=args.seed, flat=flat)
    seconds = time.perf_counter() - start
    gain = subject_eval.gains(report)
    goal = subject_eval.target("scene", gain)
    print(markdown_table(report))
    print()
    print(subject_eval.gain_lines(gain, goal))
    full = {
        "model": "sketch",
        "subject": "scene",
        "weights": str(args.weights) if args.weights else "shipped",
        "data": [str(p) for p in args.data],
        "mean_image_from": train_sources,
        "pairs": next(iter(report.values()))["pairs"],
        "seconds": round(seconds, 1),
        "threads": threads,
        "results": report,
        "gain_db": gain,
        "target": goal,
    }
    if args.out:
        args.out.write_text(json.dumps(full, indent=2))
    if args.grid:
        save_grid(samples, args.grid)
    return 0


def _train_beside(data: list[str]) -> list[str]:
    """The training packs beside held-out ones: x_val.npz -> x_train.npz, where it exists."""
    names = [Path(p).with_name(Path(p).name.replace("_val", "_train")) for p in data if "_val" in Path(p).name]
    return [str(p) for p in names if p.exists()]


def _subject(args: argparse.Namespace, chosen: Subject, threads: int) -> int:
    """face / clothing: the subject's generator on lines drawn from its held-out photos, beside the baselines."""
    limit = SUBJECT_LIMIT if args.limit is None else args.limit
    device = torch.device(args.device)
    train_sources = _train_beside(args.data) if args.train_data is None else args.train_data
    # 1. Everything that can fail before any work: data, training photos, weights
    if not train_sources:
        raise LatentStudioError(
            "No training photos for the mean-image baseline: pass --train-data (the subject's training pack)."
        )
    val = load_sources(args.data, bsds_split="val")
    model = load_generator(args.weights, args.config, device, chosen.model)
    others = {"scene model": load_generator(None, None, device, "sketch")}
    if args.baseline_weights is not None:
        name = f"baseline weights ({args.baseline_weights.name})"
        others[name] = load_generator(args.baseline_weights, None, device, chosen.model)
    # 2. The baselines from the training photos at the subject's scale, then every held-out item
    start = time.perf_counter()
    means = subject_eval.means_of(subject_eval.train_photos(train_sources), chosen.resolution)
    report, samples = subject_eval.evaluate_subject(model, chosen, val.photos, means, others, limit, args.seed)
    seconds = time.perf_counter() - start
    gain = subject_eval.gains(report)
    goal = subject_eval.target(chosen.name, gain)
    # 3. Table, report, grid
    print(markdown_table(report))
    print()
    print(subject_eval.gain_lines(gain, goal))
    full = {
        "model": chosen.model,
        "subject": chosen.name,
        "protocol": (
            f"held-out photos at short side {chosen.resolution} (aspect kept; padded with paper to the network's "
            f"stride and cropped back), lines by sketch_like(sigma {chosen.line_sigma}, density "
            f"{chosen.line_density}, areas darker than luma {chosen.fill_below} filled solid), no hints; "
            "models/sketch/subject_eval.py"
        ),
        "weights": str(args.weights) if args.weights else "shipped",
        "baseline_weights": str(args.baseline_weights) if args.baseline_weights else None,
        "data": [str(p) for p in args.data],
        "train_data": [str(p) for p in train_sources],
        "train_photos": len(means),
        "items": report["ours"]["items"],
        "limit": limit,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        "threads": threads,
        "results": report,
        "gain_db": gain,
        "target": goal,
    }
    if args.out:
        args.out.write_text(json.dumps(full, indent=2))
    if args.grid:
        save_labelled_grid(
            [list(sample) for sample in samples],
            args.grid,
            column_labels=["lines", f"ours ({chosen.model})", "scene model", "photo"],
        )
    return 0


def _subjects_montage(args: argparse.Namespace) -> int:
    """Ten held-out items of every subject: a row of their lines and a row of what its generator draws."""
    sources = dict(MONTAGE_DATA)
    for entry in args.montage_data:
        name, _, path = entry.partition("=")
        sources[subject(name).name] = path
    device = torch.device(args.device)
    rows, labels = [], []
    for chosen in SUBJECTS.values():
        held_out = load_sources([sources[chosen.name]], bsds_split="val")
        model = load_generator(None, None, device, chosen.model)
        lines, results = subject_eval.montage_rows(model, chosen, held_out, seed=args.seed)
        rows += [lines, results]
        drawn = "people's lines" if held_out.lines else "extracted lines"
        labels += [f"{chosen.label}:\n{drawn}", f"{chosen.label}:\n{chosen.model}"]
    save_labelled_grid(rows, args.subjects_montage, row_labels=labels)
    print(f"{args.subjects_montage}: {len(SUBJECTS)} subjects, {max(map(len, rows))} held-out items each")
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
