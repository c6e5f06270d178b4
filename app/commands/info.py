"""`latent-studio info`: versions, the device that would be used, and the shipped models."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show versions, the compute device and the shipped models")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    parser.add_argument("--verify", action="store_true", help="also check every weights file's sha256")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from app import __version__
    from app.core.device import ComputeSettings
    from models.manifest import read_manifest, weights_dir
    from models.registry import default_registry

    settings = ComputeSettings(device=args.device)
    print(f"Latent Studio {__version__}, torch {torch.__version__}")
    print(f"device: {settings.describe()}")
    files = read_manifest()["files"]
    print(f"weights: {weights_dir()} ({len(files)} files)")
    for name, entry in sorted(files.items()):
        line = f"  {name}: {entry.get('parameters', 0) / 1e6:.2f} M parameters, {entry.get('bytes', 0) / 2**20:.1f} MiB"
        if args.verify:
            default_registry().verify(name)
            line += ", sha256 ok"
        print(line)
    return 0
