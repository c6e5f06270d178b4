"""A sketch subject's side of a fine-tune (`app.core.finetune.run` holds the loop, the split, the checkpoint and the
user-model manifest): `latent-studio train sketch --subject NAME --data DIR --name NAME`.

The generator of the subject (`models.sketch.subjects`: scene, face, clothing) learns the user's photos from lines
drawn out of them, as its recipe (`models.sketch.train`) draws its extracted pairs:
1. random crops of the training photos at the subject's scale (photos shrunk to its short side once, crops of
   its resolution rounded down to the network's stride, zoom 0.9-1.1), on the device;
2. lines extracted in the subject's style (`canny_lines` at its blur and density, each a little varied), made to
   look hand-drawn by `augment_ink`;
3. L1 to the photo alone (no adversarial term: a short fine-tune from a GAN-trained generator keeps its texture),
   no colour hints (the app never feeds them to the network: strokes are spread afterwards).
The held-out measure is deterministic: each held-out photo's lines in the subject's exact style -> the network's
picture, scored against the photo (PSNR, colourfulness), with a strip of (lines, before, after, photo).
"""

from __future__ import annotations

import numpy as np
import torch

from latent_studio.models.sketch.subjects import subject as find_subject

ZOOM = (0.9, 1.1)  # each crop covers crop * u source pixels: about the scale the app draws at


class SketchTuning:
    tool = "sketch"
    crop_step = 32  # the U-Net's stride
    lr = 1e-4
    cpu_batch = 4

    def __init__(self, subject: str | None) -> None:
        self.style = find_subject(subject)  # an unknown name: one line listing the known ones
        self.subject = self.style.name
        self.base = self.style.model
        self.short_side = self.style.resolution
        self.crop = max(32, self.style.resolution // self.crop_step * self.crop_step)

    def prepare(self, model, photos: list[np.ndarray], device: torch.device, seed: int) -> None:
        from latent_studio.models.sketch.data import Bank

        self.bank = Bank.build(photos, device)
        self.device = device
        # the recipe's pieces draw from torch's generator: seeded per run (a resume draws new crops)
        torch.manual_seed(seed)
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")

    def step(self, model, optimizer, batch: int, crop: int) -> float:
        from latent_studio.models.sketch.data import random_crops
        from latent_studio.models.sketch.lines import augment_ink, canny_lines, spot_blacks
        from latent_studio.models.sketch.network import make_input

        with torch.no_grad():
            # 1. crops at the subject's scale
            index = torch.randint(0, self.bank.images.shape[0], (batch,), device=self.device)
            real = random_crops(self.bank.images[index], self.bank.sizes[index], crop, ZOOM)
            # 2. their lines in the subject's style, varied a little, made to look drawn
            sigma = self.style.line_sigma * (0.85 + 0.3 * float(torch.rand(())))
            density = self.style.line_density * (0.75 + 0.5 * torch.rand(batch, device=self.device))
            ink = augment_ink(canny_lines(real, sigma=sigma, density=density))
            if self.style.fill_below > 0:  # the subject's solid fills of dark areas, their level varied a little
                level = self.style.fill_below * (0.85 + 0.3 * torch.rand(batch, device=self.device))
                ink = torch.maximum(ink, spot_blacks(real, level))
            inputs = make_input(ink).contiguous(memory_format=torch.channels_last)
        # 3. L1 to the photo
        with self.autocast:
            fake = model(inputs)
        loss = (fake.float() - real).abs().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    def config(self, model) -> dict:
        """The architecture config of the subject's shipped generator (the copy keeps it)."""
        from latent_studio.models.registry import default_registry

        registry = default_registry()
        spec = registry.spec(self.base)
        return dict(registry.entry(spec.weights_file).get("config") or spec.default_config)

    def lines(self, rgb: torch.Tensor) -> torch.Tensor:
        """(1,1,H,W) ink of a (1,3,H,W) photo in the subject's exact style (deterministic)."""
        from latent_studio.models.sketch.lines import sketch_like

        style = self.style
        return sketch_like(rgb, min(rgb.shape[-2:]), style.line_sigma, style.line_density, style.fill_below)

    def evaluate(self, model, photos: list[np.ndarray], before_rows: list | None = None):
        """Mean PSNR / colourfulness of sketch -> picture on held-out photos (their own lines, at their size after
        the shrink to the subject's short side), and strip rows (lines, before, after, photo) as uint8 arrays; with
        `before_rows` the "before" column is taken from them, else this model is the "before"."""
        from latent_studio.app.core.finetune_state import score_held_out
        from latent_studio.models.sketch.inference import network_picture

        device = next(model.parameters()).device

        def draw(photo: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            rgb = torch.from_numpy(np.array(photo, copy=True)).permute(2, 0, 1)[None].float() / 255.0
            with torch.no_grad():
                ink = self.lines(rgb.to(device)).cpu()
            size = tuple(ink.shape[-2:])
            zeros = torch.zeros(1, 1, *size)
            result = network_picture(model, ink, zeros.expand(1, 3, *size), zeros, device)
            return rgb, result, (1.0 - ink).expand(1, 3, *size)

        return score_held_out(model, photos, draw, before_rows)
