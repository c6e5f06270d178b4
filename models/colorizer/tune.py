"""`python -m latent_studio.models.colorizer.tune --data DIR [DIR ...] --out tuning.json`: choose the decode settings.

The classification colorizer turns its per-pixel colour distribution into one colour at decode time, with
two settings that need no retraining: the annealed-mean temperature T (low: vivid modes, high: the safe
mean) and the prior correction (the share of the training's class rebalancing taken back out). Both trade
colourfulness against accuracy, so they are chosen on TRAINING photos (never on the validation split the
evaluation reports), by a stated rule: among the settings whose results are at least as colourful as the
originals (ΔCF >= 0), the one with the best PSNR. The network runs once per photo; every setting only
re-decodes its output, so a grid costs little more than one pass.

Three rules (`--rule`), each a point of the colourfulness/accuracy trade-off stated relative to a reference:
- "vivid" (the first model's, trained on the rebalanced cross-entropy alone): the best PSNR among the
  settings at least as colourful as the originals (ΔCF >= 0);
- "accurate": the most colourful setting whose PSNR is at least the plain-L2 baseline's;
- "natural": the best PSNR among the settings at least as colourful as the plain-L2 baseline.
Where a setting meets both of the last two, it beats L2 on both counts and both rules agree on its side.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from latent_studio.models.color import lab_to_rgb, rgb_to_lab
from latent_studio.models.colorizer.evaluate import load
from latent_studio.models.colorizer.inference import colorize_lightness, network_output, resize, spatial_shape
from latent_studio.models.colorizer.metrics import image_scores, summarize
from latent_studio.models.colorizer.validate import photo_tensor
from latent_studio.models.datapack import is_grayscale, list_images, open_rgb

TEMPERATURES = (0.38, 0.5, 0.6, 0.7, 0.8, 1.0)
RULES = {
    "vivid": "best PSNR among the settings with ΔCF >= 0 on training photos",
    "accurate": "most colourful setting whose PSNR is at least the plain-L2 baseline's, on training photos",
    "natural": "best PSNR among the settings at least as colourful as the plain-L2 baseline, on training photos",
}
CORRECTIONS = (0.0, 0.5, 1.0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.colorizer.tune", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", nargs="+", required=True, help="training photo folders (never validation ones)")
    parser.add_argument("--per-source", type=int, default=100, help="photos per folder, evenly spaced in name order")
    parser.add_argument("--weights", type=Path, help="colorizer .safetensors (default: the shipped one)")
    parser.add_argument("--baseline-weights", type=Path, help="plain-L2 .safetensors (default: the shipped one)")
    parser.add_argument("--temperatures", type=float, nargs="+", default=list(TEMPERATURES))
    parser.add_argument("--corrections", type=float, nargs="+", default=list(CORRECTIONS))
    parser.add_argument("--size", type=int, default=256, help="working size (short side)")
    parser.add_argument("--rule", choices=list(RULES), default="vivid", help="how the setting is chosen")
    parser.add_argument("--out", type=Path, help="write the JSON table here")
    return parser.parse_args(argv)


def pick_photos(folders: list[str], per_source: int) -> list[np.ndarray]:
    """`per_source` colour photos from each folder, evenly spaced in name order (a fixed, documented rule)."""
    photos = []
    for folder in folders:
        files = list_images(folder)
        chosen = files[:: max(1, len(files) // per_source)][:per_source]
        for file in chosen:
            array = np.asarray(open_rgb(file))
            if not is_grayscale(array):
                photos.append(array)
    return photos


def tune(photos: list[np.ndarray], model, baseline, temperatures, corrections, size: int) -> dict[str, dict]:
    """Mean scores of every (T, correction) setting, plus the plain-L2 baseline, over `photos`."""
    settings = [(t, c) for c in corrections for t in temperatures]
    rows: dict[str, list] = {key(t, c): [] for t, c in settings}
    rows["plain L2"] = []
    for index, photo in enumerate(photos):
        rgb = photo_tensor(photo, torch.device("cpu"))
        lightness = rgb_to_lab(rgb)[:, :1]
        output, _ = network_output(model, lightness, (), size)
        for t, c in settings:
            ab = resize(model.decode(output, t, c), spatial_shape(lightness))
            rows[key(t, c)].append(image_scores(lab_to_rgb(torch.cat([lightness, ab], dim=1)), rgb))
        if baseline is not None:
            rows["plain L2"].append(image_scores(colorize_lightness(baseline, lightness, (), size), rgb))
        if (index + 1) % 20 == 0:
            print(f"  {index + 1}/{len(photos)} photos", file=sys.stderr, flush=True)
    return {name: summarize(values) for name, values in rows.items() if values}


def key(temperature: float, correction: float) -> str:
    return f"T={temperature:g} correction={correction:g}"


#: rule -> (the column a setting must reach, the level it must reach, the column then maximised)
_RULE_TERMS = {
    "vivid": ("delta_colourfulness", lambda table: 0.0, "psnr"),
    "accurate": ("psnr", lambda table: table["plain L2"]["psnr"], "colourfulness"),
    "natural": ("colourfulness", lambda table: table["plain L2"]["colourfulness"], "psnr"),
}


def choose(table: dict[str, dict], rule: str = "vivid") -> str:
    """Pick a setting by `rule` (see the module docstring); if none reaches the level, the one closest to it."""
    column, level, best = _RULE_TERMS[rule]
    settings = {k: v for k, v in table.items() if k != "plain L2"}
    floor = level(table)
    candidates = {k: v for k, v in settings.items() if v[column] >= floor}
    if not candidates:
        return max(settings, key=lambda k: settings[k][column])
    return max(candidates, key=lambda k: candidates[k][best])


def markdown(table: dict[str, dict], chosen: str) -> str:
    lines = ["| decode | PSNR (dB) | SSIM | CF | ΔCF |", "|---|---|---|---|---|"]
    for name, v in table.items():
        mark = " **(chosen)**" if name == chosen else ""
        lines.append(
            f"| {name}{mark} | {v['psnr']:.2f} | {v['ssim']:.4f} | {v['colourfulness']:.2f} | "
            f"{v['delta_colourfulness']:+.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    with torch.no_grad():  # scoped: a test calling main() must not switch gradients off for the process
        return _run(parse_args(argv))


def _run(args) -> int:
    photos = pick_photos(args.data, args.per_source)
    model = load("colorizer", args.weights, torch.device("cpu"))
    baseline = load("colorizer-l2", args.baseline_weights, torch.device("cpu"))
    if model is None or model.head_kind != "classify":
        print("error: the tuning needs the classification colorizer's weights (--weights)")
        return 2
    table = tune(photos, model, baseline, args.temperatures, args.corrections, args.size)
    chosen = choose(table, args.rule)
    original = next(iter(table.values()))["colourfulness_original"]
    print(f"{len(photos)} training photos, working size {args.size}; originals' mean CF {original:.2f}\n")
    print(markdown(table, chosen))
    if args.out:
        payload = {
            "data": args.data,
            "images": len(photos),
            "working_size": args.size,
            "rule": RULES[args.rule],
            "chosen": chosen,
            "table": table,
        }
        args.out.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
