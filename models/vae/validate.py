"""Held-out reconstruction quality of a face VAE: PSNR, SSIM and sharpness against the originals.

Shared by the training recipe (metrics.json at the end of a run) and `python -m latent_studio.models.evaluate vae`.
Sharpness is reported as ratios to the originals (mean luma gradient magnitude, share of high-frequency
energy), because a blurry VAE can score a good PSNR while losing the detail people look at.
"""

from __future__ import annotations

import torch

from latent_studio.models.metrics import gradient_magnitude, high_frequency_energy, psnr, ssim
from latent_studio.models.vae.network import FaceVAE


@torch.no_grad()
def validate_vae(vae: FaceVAE, images: torch.Tensor, batch_size: int = 256, prior_samples: int = 512) -> dict:
    """`images`: (N,3,S,S) uint8 on the model's device. Reconstructions use the posterior mean."""
    sums = {"psnr": 0.0, "ssim": 0.0, "grad_rec": 0.0, "grad_orig": 0.0, "hf_rec": 0.0, "hf_orig": 0.0, "kl": 0.0}
    for start in range(0, images.shape[0], batch_size):
        x = images[start : start + batch_size].float().div(255)
        mean, logvar = vae.encode(x, with_logvar=True)
        rec = vae.decode(mean).float().clamp(0, 1)
        mean, logvar = mean.float(), logvar.float()
        sums["kl"] += (0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(1)).sum().item()
        sums["psnr"] += psnr(rec, x).sum().item()
        sums["ssim"] += ssim(rec, x).sum().item()
        sums["grad_rec"] += gradient_magnitude(rec).sum().item()
        sums["grad_orig"] += gradient_magnitude(x).sum().item()
        sums["hf_rec"] += high_frequency_energy(rec).sum().item()
        sums["hf_orig"] += high_frequency_energy(x).sum().item()
    n = images.shape[0]
    device = images.device
    latent_dim = vae.latent_dim
    prior = vae.decode(
        torch.randn(prior_samples, latent_dim, generator=torch.Generator().manual_seed(1)).to(device)
    ).float()
    return {
        "val_psnr": round(sums["psnr"] / n, 3),
        "val_ssim": round(sums["ssim"] / n, 4),
        "val_kl_nats": round(sums["kl"] / n, 2),
        "sharpness_grad_ratio": round(sums["grad_rec"] / sums["grad_orig"], 4),
        "sharpness_hf_ratio": round(sums["hf_rec"] / sums["hf_orig"], 4),
        "prior_sample_grad_ratio": round(gradient_magnitude(prior).mean().item() / (sums["grad_orig"] / n), 4),
    }
