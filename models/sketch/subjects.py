"""The sketch subjects: one generator per kind of picture, as pix2pix learns one subject per model.

A generator that has seen only faces turns a face drawing into a face; one trained on every kind of photo gives
the gray blur of their average. Each subject names its registry model, the short side its network runs at (the
scale its training crops had) and the line style it was trained on, so `sketch --extract --subject NAME` draws
lines the way that model reads them. Face and clothing drawings also fill their darkest areas solid
(hair, pupils, a dark garment: `lines.spot_blacks`), as inkers do: bare contours cannot say whether a shirt or
a background is dark, and the fills can. `scene` is the general model (BSDS500 drawings + any photo).
"""

from __future__ import annotations

from dataclasses import dataclass

from latent_studio.models.errors import LatentStudioError


@dataclass(frozen=True)
class Subject:
    name: str  # what the user types: `--subject face`
    label: str  # what the panel shows
    model: str  # the registry name of its generator
    resolution: int  # the network's short side: the scale of its training crops
    line_sigma: float = 1.4  # the extractor's blur at `resolution` (training drew 1.0-1.8)
    line_density: float = 0.08  # the share of pixels the extractor's strong threshold keeps (training: 0.04-0.12)
    fill_below: float = 0.0  # > 0: areas darker than this luma are filled solid (lines.spot_blacks)
    description: str = ""


SUBJECTS: dict[str, Subject] = {
    subject.name: subject
    for subject in (
        Subject(
            "scene",
            "Scene",
            "sketch",
            256,
            description="Landscapes, animals, buildings: BSDS500 human drawings and photos",
        ),
        Subject(
            "face",
            "Face",
            "sketch-face",
            128,
            fill_below=0.2,
            description="One face filling the paper, eyes about a third from the top (UTKFace crops)",
        ),
        Subject(
            "clothing",
            "Clothing",
            "sketch-clothing",
            144,
            fill_below=0.2,
            description="One garment on a plain background (the CC0 clothing photo set)",
        ),
    )
}

DEFAULT_SUBJECT = "scene"


def subject(name: str | None) -> Subject:
    """The subject called `name` (None: the default); an unknown name is one line that lists the known ones."""
    key = DEFAULT_SUBJECT if name is None else name.strip().lower()
    try:
        return SUBJECTS[key]
    except KeyError:
        known = ", ".join(SUBJECTS)
        raise LatentStudioError(f"There is no sketch subject called '{name}'; choose one of: {known}.") from None
