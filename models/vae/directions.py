"""Editing directions in the VAE's code space: attribute directions from labels, principal components, user sets.

Attribute directions are mean-code differences between labelled groups of *training* faces (never val):
young = 18-30 vs 50+, female = female vs male, child = 0-10 vs 18-60. Each is made orthogonal to the
other attribute directions (InterFaceGAN's conditional editing), so moving along "young" changes gender
less. PCA directions are the top eigenvectors of the training codes' covariance (GANSpace). Every
direction carries its sigma, the standard deviation of training codes along it, so sliders move in sigma
units; the asset also keeps the codes' mean and covariance, so a user direction gets a sigma too.

`python -m latent_studio.models.vae.directions --weights DIR/model.safetensors --config DIR/config.json
--data .gpu/faces.npz --out vae-directions-v1.safetensors` builds the shipped asset on the CPU in a few seconds.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from latent_studio.models.vae.network import FaceVAE

FORMAT = "1"


@dataclass
class DirectionSet:
    """K unit directions (K, D) with names, kinds (attribute / pca / user), descriptions and sigmas."""

    names: list[str]
    kinds: list[str]
    descriptions: list[str]
    vectors: torch.Tensor
    sigmas: torch.Tensor
    code_mean: torch.Tensor
    code_covariance: torch.Tensor
    facts: dict = field(default_factory=dict)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def sigma_of(self, vector: torch.Tensor) -> float:
        """Standard deviation of the training codes along a unit `vector`."""
        v = vector.float()
        return float(torch.sqrt((v @ self.code_covariance.float() @ v).clamp_min(1e-12)))

    def with_direction(self, name: str, vector: torch.Tensor, kind: str, description: str) -> DirectionSet:
        """A copy with `name` added (or replaced): the vector is normalised and given its sigma."""
        vector = vector.float() / vector.float().norm().clamp_min(1e-12)
        keep = [i for i, n in enumerate(self.names) if n != name]
        return DirectionSet(
            names=[self.names[i] for i in keep] + [name],
            kinds=[self.kinds[i] for i in keep] + [kind],
            descriptions=[self.descriptions[i] for i in keep] + [description],
            vectors=torch.cat([self.vectors[keep], vector[None]]),
            sigmas=torch.cat([self.sigmas[keep], torch.tensor([self.sigma_of(vector)])]),
            code_mean=self.code_mean,
            code_covariance=self.code_covariance,
            facts=dict(self.facts),
        )

    def to_tensors(self) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
        """Tensors + metadata. The index (names, kinds...) is also a uint8 JSON tensor, because the
        registry's verified `load_tensors` returns tensors only."""
        index = {
            "format": FORMAT,
            "names": self.names,
            "kinds": self.kinds,
            "descriptions": self.descriptions,
            "facts": self.facts,
        }
        blob = torch.frombuffer(bytearray(json.dumps(index).encode()), dtype=torch.uint8)
        tensors = {
            "directions": self.vectors.float().contiguous(),
            "sigma": self.sigmas.float().contiguous(),
            "code_mean": self.code_mean.float().contiguous(),
            "code_covariance": self.code_covariance.float().contiguous(),
            "index_json": blob,
        }
        return tensors, {"format": FORMAT, "names": json.dumps(self.names), "kinds": json.dumps(self.kinds)}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor]) -> DirectionSet:
        index = json.loads(bytes(tensors["index_json"].numpy().tobytes()).decode())
        return cls(
            index["names"],
            index["kinds"],
            index["descriptions"],
            tensors["directions"].float(),
            tensors["sigma"].float(),
            tensors["code_mean"].float(),
            tensors["code_covariance"].float(),
            index.get("facts", {}),
        )

    def save(self, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors, metadata = self.to_tensors()
        tmp = path.with_name(path.name + ".part")
        save_file(tensors, str(tmp), metadata=metadata)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path | str) -> DirectionSet:
        return cls.from_tensors(load_file(str(path)))


@torch.no_grad()
def encode_all(vae: FaceVAE, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Posterior means (N, D) float32 on the CPU of (N,3,S,S) uint8 faces."""
    device = next(vae.parameters()).device
    dtype = next(vae.parameters()).dtype
    codes = [
        vae.encode(images[i : i + batch_size].to(device).to(dtype) / 255).float().cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(codes)


def mean_difference(codes: torch.Tensor, with_mask: torch.Tensor, without_mask: torch.Tensor) -> torch.Tensor:
    """Unit vector from the mean code of the 'without' group to the mean code of the 'with' group."""
    if int(with_mask.sum()) == 0 or int(without_mask.sum()) == 0:
        raise ValueError("both groups need at least one face")
    diff = codes[with_mask].mean(0) - codes[without_mask].mean(0)
    return diff / diff.norm().clamp_min(1e-12)


def orthogonalize(vectors: torch.Tensor) -> torch.Tensor:
    """Each row minus its projection on the span of the other rows (then normalised)."""
    out = []
    for i in range(vectors.shape[0]):
        others = torch.cat([vectors[:i], vectors[i + 1 :]])
        if others.shape[0]:
            basis, _ = torch.linalg.qr(others.T)
            v = vectors[i] - basis @ (basis.T @ vectors[i])
        else:
            v = vectors[i]
        out.append(v / v.norm().clamp_min(1e-12))
    return torch.stack(out)


ATTRIBUTES = {  # name: (description, with(age, gender), without(age, gender))
    "young": (
        "younger: mean code of faces aged 18-30 minus 50+",
        lambda a, g: (a >= 18) & (a <= 30),
        lambda a, g: a >= 50,
    ),
    "female": ("more feminine: mean code of female minus male faces", lambda a, g: g == 1, lambda a, g: g == 0),
    "child": (
        "more child-like: mean code of faces aged 0-10 minus 18-60",
        lambda a, g: a <= 10,
        lambda a, g: (a >= 18) & (a <= 60),
    ),
}


def build_directions(codes: torch.Tensor, age: torch.Tensor, gender: torch.Tensor, pcs: int = 8) -> DirectionSet:
    """Attribute + PCA directions of training codes (N, D) with their labels."""
    codes = codes.double()
    mean = codes.mean(0)
    centred = codes - mean
    cov = centred.T @ centred / max(1, codes.shape[0] - 1)
    names, kinds, descriptions, vectors = [], [], [], []
    for name, (text, with_rule, without_rule) in ATTRIBUTES.items():
        vectors.append(mean_difference(codes, with_rule(age, gender), without_rule(age, gender)))
        names.append(name)
        kinds.append("attribute")
        descriptions.append(text + " (orthogonal to the other attribute directions)")
    raw = torch.stack(vectors)
    attribute = orthogonalize(raw)
    cosines = {
        f"{names[i]}~{names[j]}": round(float(raw[i] @ raw[j]), 3)
        for i in range(len(names))
        for j in range(i + 1, len(names))
    }
    eigenvalues, eigenvectors = torch.linalg.eigh(cov)
    order = torch.argsort(eigenvalues, descending=True)[:pcs]
    total = float(eigenvalues.clamp_min(0).sum())
    pca = []
    for rank, i in enumerate(order.tolist(), start=1):
        v = eigenvectors[:, i]
        v = v * torch.sign(v[v.abs().argmax()])  # a fixed sign: the largest entry is positive
        r_age = float(torch.corrcoef(torch.stack([centred @ v, age.double()]))[0, 1])
        r_female = float(torch.corrcoef(torch.stack([centred @ v, gender.double()]))[0, 1])
        pca.append(v)
        names.append(f"pc{rank}")
        kinds.append("pca")
        descriptions.append(
            f"principal component {rank}: {100 * float(eigenvalues[i]) / total:.1f}% of code variance "
            f"(correlation with age {r_age:+.2f}, with female {r_female:+.2f})"
        )
    vectors_all = torch.cat([attribute, torch.stack(pca)]).float()
    sigmas = torch.sqrt(
        torch.einsum("kd,de,ke->k", vectors_all.double(), cov, vectors_all.double()).clamp_min(1e-12)
    ).float()
    facts = {"train_faces": int(codes.shape[0]), "raw_attribute_cosines": cosines}
    return DirectionSet(names, kinds, descriptions, vectors_all, sigmas, mean.float(), cov.float(), facts)


def main(argv: list[str] | None = None) -> int:
    from latent_studio.models.vae.trainkit import load_faces

    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.vae.directions", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--weights", type=Path, required=True, help="the VAE's model.safetensors")
    parser.add_argument("--config", type=Path, required=True, help="its config.json")
    parser.add_argument("--data", nargs="+", default=[".gpu/faces.npz"], help="faces packs/folders (train split used)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pcs", type=int, default=8)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    from latent_studio.models.registry import default_registry

    vae = default_registry().load_trained("vae", args.weights, args.device, json.loads(args.config.read_text()))
    if not isinstance(vae, FaceVAE):
        raise TypeError(f"the registry's 'vae' built a {type(vae).__name__}, not a FaceVAE")
    faces = load_faces(args.data, vae.image_size, torch.device("cpu"), want_val=False)
    codes = encode_all(vae, faces.images)
    directions = build_directions(codes, faces.age, faces.gender, args.pcs)
    directions.save(args.out)
    for name, sigma, text in zip(directions.names, directions.sigmas.tolist(), directions.descriptions, strict=True):
        print(f"{name:8s} sigma={sigma:.3f}  {text}")
    print(f"raw attribute cosines: {directions.facts['raw_attribute_cosines']}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
