"""`python -m latent_studio.models.faces.convert_mtcnn --wheel facenet_pytorch-2.6.0-py3-none-any.whl --out weights/`

The recipe of `mtcnn-v1.safetensors`: reads the MTCNN authors' weights from the facenet-pytorch wheel
(MIT licence; `pip download facenet-pytorch --no-deps -d /tmp/fp`, never installed) once, as plain state
dicts (`torch.load(weights_only=True)`: tensors only, no code runs), checks every tensor's shape against our
own networks (models/faces/mtcnn.py), saves them as safetensors and records the file in the folder's
manifest (sha256, bytes, parameters, data, licence, command, and `--metrics` if given). The app only ever
reads the safetensors file, through the registry's verified path.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from pathlib import Path

import torch
from safetensors.torch import save_file

from latent_studio.models.faces.mtcnn import MTCNN
from latent_studio.models.faces.spec import FACE_DETECTOR, LICENSE_NOTE, WEIGHTS_FILE
from latent_studio.models.manifest import read_manifest, sha256_of, write_manifest
from latent_studio.models.ship import count_parameters

STAGES = ("pnet", "rnet", "onet")
DATA = "WIDER FACE/CelebA as trained by the MTCNN authors, weights from facenet-pytorch"


def read_wheel(wheel: Path) -> dict[str, torch.Tensor]:
    """{'pnet.conv1.weight': tensor, ...} from the wheel's facenet_pytorch/data/{pnet,rnet,onet}.pt."""
    state: dict[str, torch.Tensor] = {}
    with zipfile.ZipFile(wheel) as archive:
        licence = [name for name in archive.namelist() if name.endswith(".dist-info/LICENSE.md")]
        if not licence or b"MIT License" not in archive.read(licence[0]):
            raise SystemExit(f"{wheel}: no MIT licence file in the wheel; refusing to convert its weights.")
        for stage in STAGES:
            raw = archive.read(f"facenet_pytorch/data/{stage}.pt")
            tensors = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
            state.update({f"{stage}.{key}": value.float().contiguous() for key, value in tensors.items()})
    return state


def convert(wheel: Path, out: Path, metrics: dict | None = None) -> dict:
    state = read_wheel(wheel)
    model = MTCNN()
    expected = {key: tuple(value.shape) for key, value in model.state_dict().items()}
    found = {key: tuple(value.shape) for key, value in state.items()}
    if expected != found:
        raise SystemExit(f"{wheel}: the tensors do not fit our MTCNN: expected {expected}, found {found}.")
    model.load_state_dict(state, strict=True)
    out.mkdir(parents=True, exist_ok=True)
    target = out / WEIGHTS_FILE
    save_file(state, str(target), metadata={"source": wheel.name, "licence": "MIT"})
    manifest = read_manifest(out)
    entry = dict(manifest["files"].get(WEIGHTS_FILE, {}))
    entry.update(
        kind="model",
        model=FACE_DETECTOR.name,
        sha256=sha256_of(target),
        bytes=target.stat().st_size,
        parameters=count_parameters(target),
        config={},
        training_data=DATA,
        license="MIT",
        license_note=LICENSE_NOTE,
        training_command=f"python -m latent_studio.models.faces.convert_mtcnn --wheel {wheel.name} --out weights/",
        source=f"{wheel.name}: facenet_pytorch/data/{{pnet,rnet,onet}}.pt",
    )
    if metrics is not None:
        entry["metrics"] = metrics
    manifest["files"][WEIGHTS_FILE] = entry
    write_manifest(manifest, out)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.faces.convert_mtcnn", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--wheel", type=Path, required=True, help="facenet_pytorch-*.whl (downloaded, not installed)")
    parser.add_argument("--out", type=Path, required=True, help="weights folder (its manifest.json is updated)")
    parser.add_argument("--metrics", type=Path, help="JSON of measured figures to record")
    args = parser.parse_args(argv)
    metrics = json.loads(args.metrics.read_text()) if args.metrics else None
    entry = convert(args.wheel, args.out, metrics)
    json.dump({WEIGHTS_FILE: entry}, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
