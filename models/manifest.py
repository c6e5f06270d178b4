"""weights/manifest.json: the record of every shipped file (sha256, size, parameters, config, data, metrics).

The manifest is the single source of truth for checksums: the registry verifies every file against it
before loading, and a test checks every file in weights/ against its entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from latent_studio import package_folder

WEIGHTS_ENV = "LATENT_STUDIO_WEIGHTS"


def weights_dir() -> Path:
    """The shipped weights folder: the installed package's (weights/ in a checkout), or LATENT_STUDIO_WEIGHTS."""
    if os.environ.get(WEIGHTS_ENV):
        return Path(os.environ[WEIGHTS_ENV])
    return package_folder("weights")


def manifest_path(folder: Path | None = None) -> Path:
    return (folder or weights_dir()) / "manifest.json"


def read_manifest(folder: Path | None = None) -> dict:
    path = manifest_path(folder)
    if not path.exists():
        return {"format": 1, "files": {}}
    return json.loads(path.read_text())


def write_manifest(manifest: dict, folder: Path | None = None) -> None:
    path = manifest_path(folder)
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
