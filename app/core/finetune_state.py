"""The state of a fine-tuning run: its models, its checkpoint (weights + optimizer, written atomically) and the
held-out measure. Helpers of `app.core.finetune`, which holds the loop."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from latent_studio.app.core import user_models
from latent_studio.models.errors import LatentStudioError

STRIP = 4  # held-out photos in the before/after strip
_MAX_CURVE = 2000  # loss points kept in the checkpoint


class ColorizerTuning:
    """The colorizer's side of a fine-tune (`app.core.finetune.run` holds the loop): the recipe's own step (random
    crops, simulated hints, rebalanced classification + decoded L1) and the held-out automatic colorization."""

    tool, base, subject = "colorizer", "colorizer", None
    crop, crop_step, short_side, lr, cpu_batch = 128, 16, 144, 3e-4, 4
    l1_weight = 30.0  # as the shipped colorizer's own fine-tuning

    def prepare(self, model, photos: list[np.ndarray], device: torch.device, seed: int) -> None:
        from latent_studio.models.colorizer.data import PhotoBank
        from latent_studio.models.colorizer.quantize import rebalance_weights

        self.bank = PhotoBank(photos, device)
        self.weights = rebalance_weights(model.prior)
        self.generator = torch.Generator(device=device).manual_seed(seed)
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")

    def step(self, model, optimizer, batch: int, crop: int) -> float:
        from types import SimpleNamespace

        from latent_studio.models.colorizer.train import train_step

        recipe = SimpleNamespace(crop=crop, l1_weight=self.l1_weight)
        return float(
            train_step(model, optimizer, self.bank, self.generator, recipe, batch, self.weights, self.autocast)
        )

    def config(self, model) -> dict:
        return model.config()

    def evaluate(self, model, photos: list[np.ndarray], before_rows: list | None = None):
        return evaluate(model, photos, before_rows)


def build_models(base_name: str, device: torch.device, lr: float):
    """(shipped model for `before`, a trainable copy of it, its AdamW)."""
    base = user_models.load(base_name, device)
    model = copy.deepcopy(base).float().requires_grad_(True).train()
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    return base, model, optimizer


class Checkpoint:
    """`checkpoint.safetensors` in the user model's folder: weights ("model."), AdamW moments ("optim.") and
    metadata (step, crops, seconds, data folder, loss curve)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _meta(self) -> dict:
        if not self.path.is_file():
            return {}
        try:
            with safe_open(str(self.path), framework="pt") as handle:
                return dict(handle.metadata() or {})
        except (SafetensorError, OSError) as error:
            raise LatentStudioError(
                f"The checkpoint {self.path} cannot be read ({error}); delete that model or train under another name."
            ) from None

    def check_data(self, folder: Path) -> None:
        """A model resumes only on the folder it started on (its held-out photos would otherwise leak)."""
        trained_on = self._meta().get("data")
        if trained_on and Path(trained_on) != folder:
            raise LatentStudioError(
                f"The model '{self.path.parent.name}' was trained on {trained_on}; train on "
                "that folder to continue it, or choose another name."
            )

    def check_base(self, base: str) -> None:
        """A model resumes only as what it started from (colorizer, a sketch subject): another network's weights
        would not fit. Checkpoints from before sketch fine-tunes record no base: they are colorizers."""
        meta = self._meta()
        recorded = user_models.read_manifest()["models"].get(self.path.parent.name, {})
        started = meta.get("base", "colorizer") if meta else recorded.get("base", base)
        if started != base:
            raise LatentStudioError(
                f"The model '{self.path.parent.name}' is a fine-tune of {started}, not of {base}; "
                "train it as that to continue it, or choose another name."
            )

    def load(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict:
        facts = {"step": 0, "crops": 0, "seconds": 0.0, "losses": []}
        meta = self._meta()
        if not meta:
            return facts
        tensors = load_file(str(self.path))
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=True)
        state: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = value
        optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})
        facts.update(
            step=int(meta["step"]),
            crops=int(meta["crops"]),
            seconds=float(meta["seconds"]),
            losses=[tuple(p) for p in json.loads(meta.get("losses", "[]"))],
        )
        return facts

    def save(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, facts: dict) -> None:
        tensors = {f"model.{k}": v.detach().float().contiguous().cpu() for k, v in model.state_dict().items()}
        for index, values in optimizer.state_dict()["state"].items():
            for name, value in values.items():
                tensors[f"optim.{index}.{name}"] = torch.as_tensor(value).detach().contiguous().cpu()
        meta = {k: str(v) for k, v in facts.items() if k != "losses"}
        meta["losses"] = json.dumps([[s, round(v, 5)] for s, v in facts["losses"][-_MAX_CURVE:]])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        user_models.write_atomic(self.path, save(tensors, metadata=meta))


def save_model(model: torch.nn.Module, path: Path) -> Path:
    """Inference weights: the state_dict's keys exactly, fp32, written atomically."""
    tensors = {k: v.detach().float().contiguous().cpu() for k, v in model.state_dict().items()}
    user_models.write_atomic(path, save(tensors))
    return path


def evaluate(model, photos: list[np.ndarray], before_rows: list | None = None):
    """Mean PSNR / colourfulness of automatic colorization on held-out photos (the app's pipeline at the
    photos' own size), and strip rows (gray, before, after, original) as uint8 arrays; with `before_rows`
    the "before" column is taken from them, else this model is the "before"."""
    from latent_studio.models.color import lab_to_rgb, rgb_to_lab
    from latent_studio.models.colorizer.inference import colorize_lightness

    device = next(model.parameters()).device

    def colorize(photo: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rgb = torch.from_numpy(np.array(photo, copy=True)).to(device).permute(2, 0, 1)[None].float() / 255.0
        lab = rgb_to_lab(rgb)
        result = colorize_lightness(model, lab[:, :1], (), min(photo.shape[:2]))
        gray = lab_to_rgb(torch.cat([lab[:, :1], torch.zeros_like(lab[:, 1:])], dim=1))
        return rgb, result, gray

    return score_held_out(model, photos, colorize, before_rows)


def score_held_out(model, photos: list[np.ndarray], draw, before_rows: list | None = None):
    """The held-out measure every tool's fine-tune shares: `draw(photo)` -> (photo, result, input) as (1,3,H,W)
    tensors in [0, 1], with the model in eval mode; returns the rounded mean scores (PSNR, colourfulness) and
    the strip rows (input, before, after, photo) of the first STRIP photos, "before" taken from `before_rows`
    when given (else this model is the "before")."""
    from latent_studio.models.colorizer.metrics import image_scores, summarize

    was_training = model.training
    model.eval()
    rows, strip = [], []
    for index, photo in enumerate(photos):
        rgb, result, shown_input = draw(photo)
        scores = image_scores(result, rgb)
        rows.append({k: scores[k] for k in ("psnr", "colourfulness", "colourfulness_original")})
        if index < STRIP:
            pixels = [_uint8(shown_input), _uint8(result), _uint8(result), photo]
            if before_rows is not None and index < len(before_rows):
                pixels[1] = before_rows[index][1]
            strip.append(pixels)
    model.train(was_training)
    means = summarize(rows)
    return {k: round(v, 3) for k, v in means.items()} | {"photos": len(rows)}, strip


def _uint8(rgb: torch.Tensor) -> np.ndarray:
    return (rgb[0].permute(1, 2, 0).clamp(0, 1) * 255 + 0.5).byte().cpu().numpy()


def save_strip(rows: list[list[np.ndarray]], path: Path, height: int = 112) -> None:
    """Rows of gray | before | after | original as one PNG (the model is judged by its pictures too)."""
    from PIL import Image

    lines = []
    for row in rows:
        cells = [Image.fromarray(c).resize((max(1, round(c.shape[1] * height / c.shape[0])), height)) for c in row]
        line = Image.new("RGB", (sum(c.width for c in cells) + 4 * (len(cells) - 1), height), "white")
        x = 0
        for cell in cells:
            line.paste(cell, (x, 0))
            x += cell.width + 4
        lines.append(line)
    if not lines:
        return
    sheet = Image.new("RGB", (max(line.width for line in lines), (height + 4) * len(lines) - 4), "white")
    for i, line in enumerate(lines):
        sheet.paste(line, (0, i * (height + 4)))
    buffer = __import__("io").BytesIO()
    sheet.save(buffer, format="PNG")
    user_models.write_atomic(path, buffer.getvalue())
