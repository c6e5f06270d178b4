"""`python -m latent_studio.models.vae.finish --runs /tmp/runs [--ship]`: everything after the GPU run, on the CPU.

1. Builds the directions asset from the trained VAE and the *train* split of the faces pack.
2. Evaluates (VAE vs the pixel-loss baseline, directions vs random ones, judged by face-attributes) and
   writes <runs>/vae/report.json.
3. With --ship, copies the VAE, the classifier and the directions into weights/ with manifest entries that
   carry the metrics, the training commands and UTKFace's non-commercial licence note.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from latent_studio.models.vae.spec import DIRECTIONS_FILE, LICENSE_NOTE, VAE

DATA_NOTE = "UTKFace crop_part1 (9,289 faces at 64x64; val = sha1(file name) % 100 < 10, never trained on)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.vae.finish", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--runs", type=Path, default=Path("/tmp/runs"), help="folder with vae/, vae-pixel/, face-attributes/"
    )
    parser.add_argument("--data", default=".gpu/faces.npz")
    parser.add_argument("--ship", action="store_true", help="also copy into weights/ and the manifest")
    parser.add_argument("--device", default=None, help="cuda makes the evaluation take seconds instead of minutes")
    args = parser.parse_args(argv)
    from latent_studio.models.vae import directions, evaluate

    vae_run, pixel_run, judge_run = args.runs / "vae", args.runs / "vae-pixel", args.runs / "face-attributes"
    asset = vae_run / DIRECTIONS_FILE
    # 1. directions
    directions.main(
        [
            "--weights",
            str(vae_run / "model.safetensors"),
            "--config",
            str(vae_run / "config.json"),
            "--data",
            args.data,
            "--out",
            str(asset),
        ]
        + (["--device", args.device] if args.device else [])
    )
    # 2. evaluation
    report = vae_run / "report.json"
    eval_args = [
        "--data",
        args.data,
        "--vae-run",
        str(vae_run),
        "--classifier-run",
        str(judge_run),
        "--directions",
        str(asset),
        "--out",
        str(report),
    ]
    if args.device:
        eval_args += ["--device", args.device]
    if (pixel_run / "model.safetensors").exists():
        eval_args += ["--baseline", str(pixel_run)]
    evaluate.main(eval_args)
    if not args.ship:
        return 0
    # 3. ship
    from latent_studio.models.ship import ship

    metrics = json.loads((vae_run / "metrics.json").read_text())
    metrics["evaluation"] = json.loads(report.read_text())
    common = {"training_data": DATA_NOTE, "license_note": LICENSE_NOTE}
    ship(
        VAE.weights_file,
        vae_run / "model.safetensors",
        kind="model",
        fields={
            **common,
            "model": "vae",
            "config": json.loads((vae_run / "config.json").read_text()),
            "metrics": metrics,
            "training_command": f"python -m latent_studio.models.train vae --data {args.data} --val-data {args.data} "
            "--minutes 7 --device cuda",
        },
    )
    ship(
        "face-attributes-v1.safetensors",
        judge_run / "model.safetensors",
        kind="model",
        fields={
            **common,
            "model": "face-attributes",
            "config": json.loads((judge_run / "config.json").read_text()),
            "metrics": json.loads((judge_run / "metrics.json").read_text()),
            "training_command": f"python -m latent_studio.models.train face-attributes --data {args.data} "
            f"--val-data {args.data} --minutes 7 --max-steps 3000 --device cuda",
        },
    )
    ship(
        DIRECTIONS_FILE,
        asset,
        kind="asset",
        fields={
            **common,
            "model": "vae",
            "training_command": f"python -m latent_studio.models.vae.directions --data {args.data} --method "
            "conditional (train split)",
            "metrics": metrics["evaluation"].get("attributes", {}),
        },
    )
    print(f"shipped {VAE.weights_file}, face-attributes-v1 and the directions into weights/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
