"""`python -m latent_studio.models.vae.smile`: a smile direction without smile labels, from mouth landmarks.

No openly licensed smile labels are at hand (github muxspace/facial_expressions has no licence), but the
shipped MTCNN finds the mouth corners and eyes of every face, and a smile widens the mouth: the mouth-corner
distance over the eye distance (`mouth_ratio`) ranks faces from closed or pursed mouths to broad smiles.
It also grows with age (babies have small mouths), so faces are compared only within their age band and
gender (STRATA): in each, the widest 30 % of mouths are "smiling" and the narrowest 30 % "not". The direction
is the stratified mean code difference, made conditional on the young and female classifiers (a move along it
keeps their scores), like the other attribute directions.

The same measure judges the direction on held-out faces: a face counts as smiling when its decoded mouth
ratio is above the median of training faces of its age band (`SmileJudge`); a +-2 sigma move towards the
opposite flips it or not (models.vae.evaluate's rule), beside a random direction of the same length.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from latent_studio.models.vae.directions import (
    DirectionSet,
    conditional,
    encode_all,
    logistic_normal,
    stratified_difference,
)
from latent_studio.models.vae.network import FaceVAE
from latent_studio.models.vae.split import OLD_MIN_AGE, YOUNG_MAX_AGE

AGE_BANDS = (0, 4, 13, 20, 30, 45, 60, 200)  # band k: AGE_BANDS[k] <= age < AGE_BANDS[k + 1]
LANDMARK_SIZE = 128  # faces are measured at this size (MTCNN is unsure on 64 px faces)
SHARE = 0.3  # the widest / narrowest share of mouths in each stratum
DESCRIPTION = (
    "smiling: mean within-age-band and gender code of the widest 30 % of mouths (mouth corners over eye "
    "distance, MTCNN landmarks) minus the narrowest 30 % (conditional: keeps the young and female classifier's score)"
)


def mouth_ratio(landmarks: np.ndarray) -> float:
    """Mouth-corner distance over eye distance from MTCNN's 5 points (eyes, nose, mouth corners)."""
    eyes = float(np.linalg.norm(landmarks[1] - landmarks[0]))
    return float(np.linalg.norm(landmarks[4] - landmarks[3])) / max(eyes, 1e-6)


def mouth_ratios(detector, images: torch.Tensor) -> np.ndarray:
    """(N,3,S,S) uint8 or [0,1] float faces -> (N,) mouth ratios, NaN where no face is found."""
    from latent_studio.models.faces.detect import detect

    if images.dtype == torch.uint8:
        images = images.float() / 255
    if images.shape[-1] < LANDMARK_SIZE:  # MTCNN is unsure on small faces: enlarge them first
        images = torch.nn.functional.interpolate(images, size=(LANDMARK_SIZE, LANDMARK_SIZE), mode="bilinear")
    images = images.float().clamp(0, 1).mul(255).add(0.5).to(torch.uint8)
    pixels = images.permute(0, 2, 3, 1).cpu().numpy()
    out = np.full(len(pixels), np.nan)
    for i, face in enumerate(pixels):
        found = detect(detector, face, min_face=face.shape[0] * 0.3, limit=1)
        if found:
            out[i] = mouth_ratio(found[0].landmarks)
    return out


def age_band(age: torch.Tensor) -> torch.Tensor:
    return torch.bucketize(age, torch.tensor(AGE_BANDS[1:-1]), right=True)


def smile_direction(codes: torch.Tensor, ratios: np.ndarray, age: torch.Tensor, gender: torch.Tensor) -> torch.Tensor:
    """The unit smile direction of training codes (N, D) with their mouth ratios and labels."""
    ratio = torch.from_numpy(ratios).float()
    known = torch.isfinite(ratio) & (age >= 0) & (gender >= 0)
    band = age_band(age)
    smiling, not_smiling = torch.zeros_like(known), torch.zeros_like(known)
    strata = []
    for b in range(len(AGE_BANDS) - 1):
        for g in (0, 1):
            stratum = known & (band == b) & (gender == g)
            if int(stratum.sum()) < 10:
                continue
            low, high = torch.quantile(ratio[stratum], torch.tensor([SHARE, 1 - SHARE]))
            smiling |= stratum & (ratio >= high)
            not_smiling |= stratum & (ratio <= low)
            strata.append(stratum)
    vector = stratified_difference(codes, smiling, not_smiling, strata)
    young = logistic_normal(codes, (age >= 0) & (age <= YOUNG_MAX_AGE), age >= OLD_MIN_AGE)
    female = logistic_normal(codes, gender == 1, gender == 0)
    return conditional(vector, torch.stack([young, female]))


def with_smile(directions: DirectionSet, vector: torch.Tensor, facts: dict) -> DirectionSet:
    """`directions` with "smile" placed after the other attribute directions (before the PCA ones)."""
    added = directions.with_direction("smile", vector, "attribute", DESCRIPTION)
    order = [i for i, k in enumerate(added.kinds) if k == "attribute"]
    order += [i for i, k in enumerate(added.kinds) if k != "attribute"]
    return DirectionSet(
        [added.names[i] for i in order],
        [added.kinds[i] for i in order],
        [added.descriptions[i] for i in order],
        added.vectors[order],
        added.sigmas[order],
        added.code_mean,
        added.code_covariance,
        {**added.facts, "smile": facts},
    )


class SmileJudge:
    """Smiling or not from the decoded face's mouth ratio against the training median of its age band."""

    def __init__(self, detector, medians: dict[int, float]) -> None:
        self.detector, self.medians = detector, medians

    def smiling(self, images: torch.Tensor, age: torch.Tensor) -> torch.Tensor:
        """(N,) 1.0 smiling, 0.0 not, NaN where no mouth is found."""
        ratios = torch.from_numpy(mouth_ratios(self.detector, images)).float()
        thresholds = torch.tensor([self.medians.get(int(b), float("nan")) for b in age_band(age)])
        return torch.where(torch.isfinite(ratios), (ratios > thresholds).float(), torch.nan)


def band_medians(ratios: np.ndarray, age: torch.Tensor) -> dict[int, float]:
    bands = age_band(age).numpy()
    return {
        int(b): float(np.nanmedian(ratios[bands == b]))
        for b in np.unique(bands)
        if np.isfinite(ratios[bands == b]).sum() >= 10
    }


def main(argv: list[str] | None = None) -> int:
    from latent_studio.models.registry import default_registry
    from latent_studio.models.vae.trainkit import load_faces

    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.vae.smile", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", nargs="+", required=True, help="faces packs/folders (the train split is used)")
    parser.add_argument("--directions", type=Path, required=True, help="the directions asset to add 'smile' to")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)
    registry = default_registry()
    vae, detector = registry.load_model("vae", "cpu"), registry.load_model("face-detector", "cpu")
    if not isinstance(vae, FaceVAE):
        raise SystemExit(f"the registry's 'vae' is a {type(vae).__name__}, not a FaceVAE")
    faces = load_faces(args.data, LANDMARK_SIZE, torch.device("cpu"), want_val=False, limit=args.limit)
    ratios = mouth_ratios(detector, faces.images)
    codes = encode_all(vae, faces.images)  # the encoder area-averages them to its own size
    vector = smile_direction(codes, ratios, faces.age, faces.gender)
    facts = {
        "train_faces": len(faces),
        "faces_with_landmarks": int(np.isfinite(ratios).sum()),
        "band_medians": band_medians(ratios, faces.age),
        "age_bands": list(AGE_BANDS),
        "share": SHARE,
    }
    updated = with_smile(DirectionSet.load(args.directions), vector, facts)
    updated.save(args.out)
    print(json.dumps(facts), f"sigma={float(updated.sigmas[updated.index('smile')]):.3f}", f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
