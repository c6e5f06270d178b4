"""Editing directions in the VAE's code space: attribute directions from labels, principal components, user sets.

Attribute directions come from labelled *training* faces (never val): young = 30 or less vs 50+, female =
female vs male, child = 0-10 vs 18-60. Each is the mean of its mean-code differences within strata of the
other factor (young among men and among women, female within age bands), minus its projection on the other
factor's logistic-regression normal (InterFaceGAN's conditional editing), so moving along "young" keeps the
gender score (`--method mean`: the plain mean differences made orthogonal to each other, the asset before
issue #14). PCA directions are the top eigenvectors of the training codes' covariance (GANSpace), each
named after the label or image statistic it correlates with most (`facts["labels"]`). Every
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
from latent_studio.models.vae.split import OLD_MIN_AGE, YOUNG_MAX_AGE

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

    def label(self, name: str) -> str:
        """The name a slider shows: a PCA direction's says what it correlates with ("pc2 · light from the
        left"); any other direction's is its name."""
        labels = self.facts.get("labels", {})
        return str(labels.get(name, name)) if isinstance(labels, dict) else name

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


def logistic_normal(
    codes: torch.Tensor, with_mask: torch.Tensor, without_mask: torch.Tensor, l2: float = 1e-1, steps: int = 30
) -> torch.Tensor:
    """Unit normal of a logistic-regression boundary between the 'without' and the 'with' group, pointing to
    'with' (InterFaceGAN fits a linear SVM; a balanced, L2-regularised logistic loss finds the same kind of
    boundary without an SVM library). Fitted by Newton's method on standardised codes, mapped back to code
    space."""
    if int(with_mask.sum()) == 0 or int(without_mask.sum()) == 0:
        raise ValueError("both groups need at least one face")
    x = torch.cat([codes[with_mask], codes[without_mask]]).double()
    y = torch.cat([torch.ones(int(with_mask.sum())), torch.zeros(int(without_mask.sum()))]).double()
    weight = torch.where(y > 0, 0.5 / y.mean(), 0.5 / (1 - y.mean())) / len(y)  # each group counts half
    centre, scale = x.mean(0), x.std(0).clamp_min(1e-6)
    z = torch.cat([(x - centre) / scale, torch.ones(len(y), 1, dtype=torch.float64)], 1)  # last column: bias
    penalty = torch.full((z.shape[1],), 2 * l2, dtype=torch.float64)
    penalty[-1] = 0.0  # the bias is not shrunk
    w = torch.zeros(z.shape[1], dtype=torch.float64)
    for _ in range(steps):
        p = torch.sigmoid(z @ w)
        gradient = z.T @ (weight * (p - y)) + penalty * w
        hessian = (z * (weight * p * (1 - p))[:, None]).T @ z + torch.diag(penalty)
        step = torch.linalg.solve(hessian, gradient)
        w = w - step
        if float(step.abs().max()) < 1e-9:
            break
    normal = (w[:-1] / scale).float()  # w.z = (w/scale).x + const: the boundary's normal in code space
    return normal / normal.norm().clamp_min(1e-12)


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


# what a principal component may correlate with: feature -> (its name at +r, at -r)
FEATURES = {
    "age": ("older", "younger"),
    "female": ("more feminine", "more masculine"),
    "brightness": ("brighter", "darker"),
    "lighting": ("light from the left", "light from the right"),
    "background": ("lighter background", "darker background"),
}
MIN_NAMING_CORRELATION = 0.15  # below this a component is called "mixed"


def image_statistics(images: torch.Tensor, batch_size: int = 1024) -> dict[str, torch.Tensor]:
    """Per face of (N,3,S,S) uint8: mean luma, left-minus-right luma of the face's middle (lighting
    asymmetry) and the luma of the two top corners (UTKFace's background), all in 0-1."""
    out: dict[str, list[torch.Tensor]] = {"brightness": [], "lighting": [], "background": []}
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    for i in range(0, len(images), batch_size):
        luma = (images[i : i + batch_size].float().cpu() / 255 * weights).sum(1)
        size = luma.shape[-1]
        q, e = size // 4, size // 8
        middle = luma[:, q : size - q, q : size - q]
        half = middle.shape[-1] // 2
        out["brightness"].append(luma.mean((1, 2)))
        out["lighting"].append(middle[:, :, :half].mean((1, 2)) - middle[:, :, -half:].mean((1, 2)))
        corners = torch.cat([luma[:, :e, :e].flatten(1), luma[:, :e, -e:].flatten(1)], 1)
        out["background"].append(corners.mean(1))
    return {k: torch.cat(v) for k, v in out.items()}


def correlations(scores: torch.Tensor, features: dict[str, torch.Tensor]) -> dict[str, float]:
    """Pearson r of `scores` (N,) with each feature (N,), over the faces where the feature is known (>= 0 for
    labels; image statistics are always known)."""
    out = {}
    for key, feature in features.items():
        values = feature.double()
        known = values >= 0 if key in ("age", "female") else torch.ones_like(values, dtype=torch.bool)
        if int(known.sum()) < 3 or float(values[known].std()) == 0:
            continue
        r = torch.corrcoef(torch.stack([scores.double()[known], values[known]]))[0, 1]
        out[key] = round(float(r), 3) if torch.isfinite(r) else 0.0
    return out


def pca_label(name: str, r: dict[str, float]) -> str:
    """ "pc2 · light from the left": the feature the component correlates with most, in the direction + goes."""
    known = {k: v for k, v in r.items() if k in FEATURES}
    if not known:
        return name
    key = max(known, key=lambda k: abs(known[k]))
    if abs(known[key]) < MIN_NAMING_CORRELATION:
        return f"{name} · mixed"
    return f"{name} · {FEATURES[key][0 if known[key] > 0 else 1]}"


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


STRATA = {  # conditional groups: a direction is the mean of its within-group differences (a confounder cancels)
    "young": lambda a, g: [g == 0, g == 1],
    "female": lambda a, g: [(a >= 18) & (a <= 30), (a > 30) & (a < 50), a >= 50],
    "child": lambda a, g: [g == 0, g == 1],
}
CONDITION_ON = {"young": ("female",), "female": ("young",), "child": ("female",)}  # the other factor's
GROUPS = {  # the conditional method's young: the judge's and the split's definition (<= 30 vs >= 50), children in
    "young": (
        "younger: mean within-gender code of faces aged 30 or less minus 50+",
        lambda a, g: a <= YOUNG_MAX_AGE,
        lambda a, g: a >= OLD_MIN_AGE,
    ),
}
METHODS = ("conditional", "mean")


def stratified_difference(
    codes: torch.Tensor, with_mask: torch.Tensor, without_mask: torch.Tensor, strata: list[torch.Tensor]
) -> torch.Tensor:
    """Unit mean of the unit mean-code differences within each stratum that has faces of both groups (young
    vs old among men and among women: the share of women in each age group no longer leaks in)."""
    parts = [
        mean_difference(codes, with_mask & s, without_mask & s)
        for s in strata
        if int((with_mask & s).sum()) and int((without_mask & s).sum())
    ]
    if not parts:
        raise ValueError("no stratum has faces of both groups")
    total = torch.stack(parts).sum(0)
    return total / total.norm().clamp_min(1e-12)


def conditional(vector: torch.Tensor, others: torch.Tensor) -> torch.Tensor:
    """`vector` minus its projection on the span of the rows of `others` (normalised): moving along it leaves
    the linear scores `others` @ code unchanged (InterFaceGAN's conditional editing)."""
    v = vector.double()
    if others.shape[0]:
        basis, _ = torch.linalg.qr(others.double().T)
        v = v - basis @ (basis.T @ v)
    return (v / v.norm().clamp_min(1e-12)).to(vector.dtype)


def attribute_directions(
    codes: torch.Tensor, age: torch.Tensor, gender: torch.Tensor, method: str = "conditional"
) -> tuple[torch.Tensor, list[str], dict]:
    """(K, D) unit attribute directions (ATTRIBUTES' order), their descriptions and facts.

    "mean" (vae-directions-v1 until issue #14): each group's mean-code difference, minus its projection on the
    other attributes' differences. "conditional": the within-stratum mean difference (STRATA), minus its
    projection on the logistic-regression normals of the other factor's attributes (CONDITION_ON), so a move
    along it keeps those classifiers' scores."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
    names = list(ATTRIBUTES)
    masks = {n: (w(age, gender), wo(age, gender)) for n, (_, w, wo) in ATTRIBUTES.items()}
    raw = torch.stack([mean_difference(codes, *masks[n]) for n in names])
    cosines = {
        f"{names[i]}~{names[j]}": round(float(raw[i] @ raw[j]), 3)
        for i in range(len(names))
        for j in range(i + 1, len(names))
    }
    facts: dict = {"method": method, "raw_attribute_cosines": cosines}
    if method == "mean":
        texts = [ATTRIBUTES[n][0] + " (orthogonal to the other attribute directions)" for n in names]
        return orthogonalize(raw), texts, facts
    groups = {n: GROUPS.get(n, ATTRIBUTES[n]) for n in names}
    masks = {n: (w(age, gender), wo(age, gender)) for n, (_, w, wo) in groups.items()}
    normals = {n: logistic_normal(codes, *masks[n]) for n in names}
    vectors, texts = [], []
    for n in names:
        v = stratified_difference(codes, *masks[n], STRATA[n](age, gender))
        vectors.append(conditional(v, torch.stack([normals[o] for o in CONDITION_ON[n]])))
        text = groups[n][0] if n in GROUPS else groups[n][0].replace("mean code", "mean within-group code", 1)
        texts.append(text + f" (conditional: keeps the {' and '.join(CONDITION_ON[n])} classifier's score)")
    return torch.stack(vectors), texts, facts


def build_directions(
    codes: torch.Tensor,
    age: torch.Tensor,
    gender: torch.Tensor,
    pcs: int = 8,
    method: str = "conditional",
    images: torch.Tensor | None = None,
) -> DirectionSet:
    """Attribute + PCA directions of training codes (N, D) with their labels; with the faces' `images`
    (N,3,S,S uint8) each PCA direction is also named by the image statistic or label it correlates with most."""
    attribute, texts, facts = attribute_directions(codes, age, gender, method)
    codes = codes.double()
    mean = codes.mean(0)
    centred = codes - mean
    cov = centred.T @ centred / max(1, codes.shape[0] - 1)
    names, kinds = list(ATTRIBUTES), ["attribute"] * len(ATTRIBUTES)
    descriptions = list(texts)
    features = {"age": age, "female": gender}
    if images is not None:
        features.update(image_statistics(images))
    eigenvalues, eigenvectors = torch.linalg.eigh(cov)
    order = torch.argsort(eigenvalues, descending=True)[:pcs]
    total = float(eigenvalues.clamp_min(0).sum())
    pca, labels, correlation = [], {}, {}
    for rank, i in enumerate(order.tolist(), start=1):
        v = eigenvectors[:, i]
        v = v * torch.sign(v[v.abs().argmax()])  # a fixed sign: the largest entry is positive
        name = f"pc{rank}"
        r = correlations(centred @ v, features)
        pca.append(v)
        names.append(name)
        kinds.append("pca")
        labels[name], correlation[name] = pca_label(name, r), r
        with_r = ", ".join(f"{k} {value:+.2f}" for k, value in r.items())
        descriptions.append(
            f"principal component {rank}: {100 * float(eigenvalues[i]) / total:.1f}% of code variance "
            f"(correlation on the training faces with {with_r})"
        )
    vectors_all = torch.cat([attribute.double(), torch.stack(pca)]).float()
    sigmas = torch.sqrt(
        torch.einsum("kd,de,ke->k", vectors_all.double(), cov, vectors_all.double()).clamp_min(1e-12)
    ).float()
    facts = {"train_faces": int(codes.shape[0]), **facts, "labels": labels, "pca_correlations": correlation}
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
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="conditional",
        help="attribute directions: conditional (default) or mean (the asset before issue #14)",
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    from latent_studio.models.registry import default_registry

    vae = default_registry().load_trained("vae", args.weights, args.device, json.loads(args.config.read_text()))
    if not isinstance(vae, FaceVAE):
        raise TypeError(f"the registry's 'vae' built a {type(vae).__name__}, not a FaceVAE")
    faces = load_faces(args.data, vae.image_size, torch.device("cpu"), want_val=False)
    codes = encode_all(vae, faces.images)
    directions = build_directions(codes, faces.age, faces.gender, args.pcs, args.method, faces.images)
    directions.save(args.out)
    for name, sigma, text in zip(directions.names, directions.sigmas.tolist(), directions.descriptions, strict=True):
        print(f"{directions.label(name):28s} sigma={sigma:.3f}  {text}")
    print(f"raw attribute cosines: {directions.facts['raw_attribute_cosines']}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
