"""Registry entry of the sketch -> image generator (imports no network code: the registry loads it lazily)."""

from latent_studio.models.registry import ModelSpec, register

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
#: one kind of picture at the scale its subject is drawn at.
FACE_SPEC = register(
    ModelSpec(
        name="sketch-face",
        architecture="latent_studio.models.sketch.network:SketchUNet",
        weights_file="sketch-face-v1.safetensors",
        input_size=128,
        version="1",
        description="Sketch to face: the sketch generator fine-tuned on UTKFace crops (one face filling the paper).",
        default_config=DEFAULT_CONFIG,
        half_precision=True,
    )
)

CLOTHING_SPEC = register(
    ModelSpec(
        name="sketch-clothing",
        architecture="latent_studio.models.sketch.network:SketchUNet",
        weights_file="sketch-clothing-v1.safetensors",
        input_size=144,
        version="1",
        description="Sketch to clothing: the sketch generator fine-tuned on the CC0 clothing photo set.",
        default_config=DEFAULT_CONFIG,
        half_precision=True,
    )
)
