"""Registry entry of the sketch -> image generator (imports no network code: the registry loads it lazily)."""

from latent_studio.models.registry import ModelSpec, register
from latent_studio.models.sketch.subjects import SUBJECTS

#: Generator kwargs: about 2.4 M parameters (9.2 MiB fp32), about 2.6 GFLOPs for one 256x256 forward pass.
DEFAULT_CONFIG = {"channels": [16, 32, 80, 144, 160], "blocks": [0, 1, 2, 2, 2]}

SPEC = register(
    ModelSpec(
        name="sketch",
        architecture="latent_studio.models.sketch.network:SketchUNet",
        weights_file="sketch-v1.safetensors",
        input_size=256,
        version="1",
        description=(
            "Sketch to image: a pix2pix U-Net that turns black line drawings (plus optional colour strokes) "
            "into a photo-like picture."
        ),
        default_config=DEFAULT_CONFIG,
        half_precision=True,
    )
)

#: One generator per subject (models.sketch.subjects): the same architecture, fine-tuned from the scene model on
#: one kind of picture, run at the short side its training crops had.
SUBJECT_SPECS = [
    register(
        ModelSpec(
            name=subject.model,
            architecture=SPEC.architecture,
            weights_file=f"{subject.model}-v1.safetensors",
            input_size=subject.resolution,
            version="1",
            description=f"Sketch to picture, {subject.label.lower()} subject ({subject.description}).",
            default_config=DEFAULT_CONFIG,
            half_precision=True,
        )
    )
    for subject in SUBJECTS.values()
    if subject.model != SPEC.name
]
