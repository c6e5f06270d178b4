"""Registry entry of the MTCNN face detector (no torch import)."""

from latent_studio.models.registry import ModelSpec, register

WEIGHTS_FILE = "mtcnn-v1.safetensors"
LICENSE_NOTE = (
    "MIT (facenet-pytorch, Copyright (c) 2019 Timothy Esler); weights of the MTCNN authors "
    "(Zhang et al. 2016), trained on WIDER FACE and CelebA."
)

FACE_DETECTOR = register(
    ModelSpec(
        name="face-detector",
        architecture="latent_studio.models.faces.mtcnn:MTCNN",
        weights_file=WEIGHTS_FILE,
        input_size=12,  # P-Net's window; the cascade scans an image pyramid
        version="1",
        description="MTCNN (P-Net, R-Net, O-Net): face boxes and 5 landmarks, to align faces like the training crops.",
        default_config={},
        half_precision=False,
    )
)
