"""`python -m latent_studio.models.ship NAME --weights FILE [--metrics JSON] ...`: put a trained file into weights/
and the manifest.

Copies the file (safetensors only) to weights/<name in the registry>, and records its sha256, size,
parameter count, architecture config, training data, training command and measured metrics.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from safetensors import safe_open

from latent_studio.models.manifest import read_manifest, sha256_of, weights_dir, write_manifest


def count_parameters(path: Path) -> int:
    total = 0
    with safe_open(str(path), framework="pt") as handle:
        for key in handle.keys():  # noqa: SIM118 - safe_open is no mapping: it has keys() but cannot be iterated
            total += _numel(handle.get_slice(key).get_shape())
    return total


def _numel(shape: list[int]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


def ship(file_name: str, source: Path, *, kind: str, fields: dict) -> dict:
    """Copy `source` to weights/`file_name` and write its manifest entry; returns the entry."""
    folder = weights_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file_name
    if source.resolve() != target.resolve():
        shutil.copyfile(source, target)
    manifest = read_manifest(folder)
    entry = dict(manifest["files"].get(file_name, {}))
    entry.update(fields)
    entry.update(kind=kind, sha256=sha256_of(target), bytes=target.stat().st_size, parameters=count_parameters(target))
    manifest["files"][file_name] = entry
    write_manifest(manifest, folder)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m latent_studio.models.ship", description=__doc__.split("\n\n")[0])
    parser.add_argument("file_name", help="name in weights/, e.g. colorizer-v2.safetensors")
    parser.add_argument("--weights", type=Path, required=True, help="trained .safetensors file")
    parser.add_argument("--kind", default="model", choices=["model", "asset"])
    parser.add_argument("--model", help="registry name this file belongs to")
    parser.add_argument("--config", type=Path, help="JSON with the architecture config")
    parser.add_argument("--metrics", type=Path, help="metrics.json written by the recipe or evaluation")
    parser.add_argument("--data", default="", help="training data description")
    parser.add_argument("--command", default="", help="the training command that produced the file")
    parser.add_argument("--license-note", default="")
    args = parser.parse_args(argv)
    if args.weights.suffix != ".safetensors":
        parser.error("only .safetensors files are shipped (no pickle)")
    fields: dict = {"training_data": args.data, "training_command": args.command}
    if args.model:
        fields["model"] = args.model
    if args.config:
        fields["config"] = json.loads(args.config.read_text())
    if args.metrics:
        fields["metrics"] = json.loads(args.metrics.read_text())
    if args.license_note:
        fields["license_note"] = args.license_note
    entry = ship(args.file_name, args.weights, kind=args.kind, fields=fields)
    print(json.dumps({args.file_name: entry}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
