"""Registry entries of the colorizer and its plain-L2 baseline (no torch import here: specs only)."""

from __future__ import annotations

from latent_studio.models.registry import ModelSpec, register

COLORIZER = register(
    ModelSpec(
        name="colorizer",
        architecture="latent_studio.models.colorizer.network:Colorizer",
        weights_file="colorizer-v2.safetensors",
        input_size=256,
        version="2",
        description=(
            "Hint-guided colorization (L + ab hints + mask -> ab), trained from scratch with rebalanced "
            "classification over quantized ab bins, then fine-tuned with an L1 term on the decoded colour; decoded "
            "with the annealed mean (T = 0.7) and a prior correction of 0.1, chosen on training photos by "
            "latent_studio.models.colorizer.tune --rule natural. The app's Vividness lowers that correction."
        ),
        default_config={
            "width": 32,
            "head": "classify",
            "num_bins": 259,
            "deep": 192,
            "temperature": 0.7,
            "prior_correction": 0.1,
        },
        half_precision=True,
    )
)

COLORIZER_L2 = register(
    ModelSpec(
        name="colorizer-l2",
        architecture="latent_studio.models.colorizer.network:Colorizer",
        weights_file="colorizer-l2-v2.safetensors",
        input_size=256,
        version="2",
        description="Baseline for the evaluation: the colorizer's backbone with a plain-L2 ab regression head.",
        default_config={
            "width": 32,
            "head": "regress",
            "num_bins": None,
            "deep": 192,
            "temperature": 0.7,
            "prior_correction": 0.0,
        },
        half_precision=True,
    )
)
