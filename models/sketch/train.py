"""`python -m latent_studio.models.train sketch --data ... --val-data ... --out DIR --minutes M`: sketch -> image.

pix2pix (Isola et al. 2017): the U-Net generator learns L1 to the photo plus a PatchGAN adversarial term
(hinge loss, spectrally normalised discriminator). Each batch mixes two kinds of pairs, built on the device:
1. a person's BSDS500 boundary map and its photo (`--human-fraction` of the batch), lightly augmented;
2. lines extracted from any photo with the project's own Canny extractor (models.sketch.lines), then made to
   look hand-drawn (stroke width, dropped strokes, wobble, pressure), so the model reads real drawings and
   not only extracted edges.
Coarse colour strokes taken from the target (often none) teach it to follow the user's colour hints.
Inference weights are an exponential moving average of the generator (smoother, better on held-out data).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from latent_studio.models.checkpoint import save_weights
from latent_studio.models.sketch.data import Bank, SketchSet, load_sources, random_crops
from latent_studio.models.sketch.discriminator import PatchDiscriminator
from latent_studio.models.sketch.hints import simulate_strokes
from latent_studio.models.sketch.lines import augment_ink, canny_lines, spot_blacks
from latent_studio.models.sketch.network import SketchUNet, make_input
from latent_studio.models.sketch.scoring import mean_image, save_grid, score
from latent_studio.models.sketch.spec import DEFAULT_CONFIG
from latent_studio.models.training import (
    SIGTERM_EXIT,
    Budget,
    Checkpoint,
    JsonLog,
    SigtermFlag,
    fast_device,
    save_inference,
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.train sketch", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--data", nargs="+", required=True, help="sketch packs, photo packs, BSDS500 root or photo folders"
    )
    parser.add_argument("--val-data", nargs="+", default=[], help="held-out sketch pack(s) with human line maps")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=7.0, help="wall-clock budget, outputs included")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--crop", type=int, default=160, help="training crop side (a multiple of 32)")
    parser.add_argument(
        "--zoom",
        type=float,
        nargs=2,
        default=(0.6, 1.3),
        metavar=("MIN", "MAX"),
        help="each crop covers crop*u source pixels, u in [MIN, MAX] (capped by the short side): ~1 for subjects "
        "whose photos are framed alike (faces), wider for scenes",
    )
    parser.add_argument(
        "--init", type=Path, default=None, help="start from this model.safetensors (a shipped subject's weights)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--l1-weight", type=float, default=100.0)
    parser.add_argument("--adv-weight", type=float, default=1.0, help="0: no discriminator at all (faster)")
    parser.add_argument(
        "--mse-weight", type=float, default=0.0, help="squared error term (PSNR is what held-out scoring reads)"
    )
    parser.add_argument(
        "--fill-below",
        type=float,
        default=0.0,
        help="extracted pairs: also fill areas darker than this luma solid (a subject's spot blacks; 0 = never)",
    )
    parser.add_argument("--fill-fraction", type=float, default=0.7, help="share of extracted pairs with fills")
    parser.add_argument("--human-fraction", type=float, default=0.5, help="share of each batch from human drawings")
    parser.add_argument("--disc-width", type=int, default=48)
    parser.add_argument("--ema", type=float, default=0.999)
    parser.add_argument("--checkpoint-minutes", type=float, default=2.0)
    parser.add_argument("--val-limit", type=int, default=0, help="score at most this many held-out pairs (0 = all)")
    parser.add_argument(
        "--config", type=json.loads, default=None, help="generator kwargs as JSON (default: the spec's)"
    )
    return parser.parse_args(argv)


def pick_device(choice: str) -> torch.device:
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


class Batches:
    """Random (input, target) batches built entirely on the device from uint8 banks."""

    def __init__(
        self,
        data: SketchSet,
        device: torch.device,
        crop: int,
        human_fraction: float,
        zoom: tuple[float, float] = (0.6, 1.3),
        fill_below: float = 0.0,
        fill_fraction: float = 0.0,
    ) -> None:
        side = Bank.side_for(data.photos, data.lines) if data.lines else None
        self.photos = Bank.build(data.photos, device, side)
        self.lines = Bank.build(data.lines, device, side) if data.lines else None
        self.owner = torch.tensor(data.line_owner, dtype=torch.long, device=device)
        self.crop = crop
        self.zoom = zoom
        self.fill_below, self.fill_fraction = fill_below, fill_fraction
        self.human_fraction = human_fraction if self.lines is not None else 0.0
        self.device = device

    def next(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        n_human = round(batch * self.human_fraction)
        reals, inks = [], []
        if n_human:
            # 1. Human pairs: photo and line map cropped with the same transform.
            assert self.lines is not None  # human_fraction is 0 without line maps
            li = torch.randint(0, self.lines.images.shape[0], (n_human,), device=self.device)
            owner = self.owner[li]
            stacked = torch.cat([self.photos.images[owner], self.lines.images[li]], dim=1)
            crops = random_crops(stacked, self.photos.sizes[owner], self.crop, self.zoom)
            reals.append(crops[:, :3])
            inks.append(augment_ink(crops[:, 3:], thicken=0.25, drop=0.3, jitter=0.8, fade=0.75))
        if batch - n_human:
            # 2. Extracted pairs: lines from the project's extractor, made to look drawn.
            pi = torch.randint(0, self.photos.images.shape[0], (batch - n_human,), device=self.device)
            real = random_crops(self.photos.images[pi], self.photos.sizes[pi], self.crop, self.zoom)
            sigma = 1.0 + 0.8 * float(torch.rand(()))
            density = 0.04 + 0.08 * torch.rand(real.shape[0], device=self.device)
            ink = augment_ink(canny_lines(real, sigma=sigma, density=density))
            if self.fill_below > 0:  # spot blacks on some pairs (level 0 = none), bare lines on the rest
                chosen = torch.rand(real.shape[0], device=self.device) < self.fill_fraction
                level = self.fill_below * (0.85 + 0.3 * torch.rand(real.shape[0], device=self.device)) * chosen
                ink = torch.maximum(ink, spot_blacks(real, level))
            reals.append(real)
            inks.append(ink)
        real, ink = torch.cat(reals), torch.cat(inks)
        # 3. Colour hints from the target, none for 40% of samples.
        hint, mask = simulate_strokes(real, p_none=0.4)
        return make_input(ink, hint, mask), real


def hinge_d(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    reserve = min(75.0, max(20.0, 0.15 * args.minutes * 60))
    budget = Budget(args.minutes, reserve_s=reserve, max_steps=args.max_steps)
    with SigtermFlag() as terminate:
        return _train(args, budget, terminate)


def _train(args: argparse.Namespace, budget: Budget, terminate: SigtermFlag) -> int:
    device = pick_device(args.device)
    cuda = device.type == "cuda"
    fast_device(device)
    args.out.mkdir(parents=True, exist_ok=True)
    config = args.config or dict(DEFAULT_CONFIG)
    torch.manual_seed(args.seed)

    # 1. Data, in device memory.
    train = load_sources(args.data, bsds_split="train")
    val = load_sources(args.val_data, bsds_split="val") if args.val_data else None
    batches = Batches(
        train, device, args.crop, args.human_fraction, tuple(args.zoom), args.fill_below, args.fill_fraction
    )
    mean = mean_image(train.photos) if val is not None else None  # the held-out baseline, computed up front
    print(f"sketch: {len(train.photos)} photos, {len(train.lines)} human drawings, device {device}", flush=True)

    # 2. Models, optimizers, resume.
    generator = SketchUNet(**config).to(device)
    discriminator = PatchDiscriminator(width=args.disc_width).to(device)
    ema = copy.deepcopy(generator).requires_grad_(False)
    memory = torch.channels_last
    for module in (generator, discriminator, ema):
        module.to(memory_format=memory)
    modules = {"generator": generator, "discriminator": discriminator, "ema": ema}
    checkpoint = Checkpoint(args.out, modules, args.max_steps, args.checkpoint_minutes, torch.bfloat16)
    meta = checkpoint.load()
    step, seen = int(meta.get("step", 0)), int(meta.get("images_seen", 0))
    trained_seconds = float(meta.get("train_seconds", 0.0))
    if meta:
        print(f"sketch: resuming from step {step}", flush=True)
        torch.manual_seed(args.seed + step)
    elif args.init is not None:
        # Fine-tuning: the generator and its average both start from the given weights (config must match).
        weights = load_file(str(args.init), device=str(device))
        generator.load_state_dict(weights, strict=True)
        ema.load_state_dict(weights, strict=True)
        print(f"sketch: starting from {args.init}", flush=True)
    opt_g = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    autocast = lambda: torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda)  # noqa: E731

    # 3. Train until the budget, the step limit or SIGTERM.
    log = JsonLog(args.out, budget.start, label="sketch")
    losses: dict[str, float] = {}
    start_step = step
    budget.begin(start_step)
    while not budget.over(step) and not terminate.requested:
        inputs, real = batches.next(args.batch_size)
        inputs = inputs.contiguous(memory_format=memory)
        real = real.contiguous(memory_format=memory)
        adversarial = args.adv_weight > 0
        with autocast():
            fake = generator(inputs)
        if adversarial:
            with autocast():
                d_loss = hinge_d(discriminator(inputs, real), discriminator(inputs, fake.detach()))
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            discriminator.requires_grad_(False)  # the generator's step needs no discriminator weight gradients
        with autocast():
            adv = -discriminator(inputs, fake).mean() if adversarial else fake.new_zeros(())
            error = fake.float() - real
            l1 = error.abs().mean()
            g_loss = args.l1_weight * l1 + args.mse_weight * error.square().mean() + args.adv_weight * adv
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        discriminator.requires_grad_(True)
        if not adversarial:
            d_loss = adv
        with torch.no_grad():
            decay = min(args.ema, (1 + step) / (10 + step))
            for e, g in zip(ema.parameters(), generator.parameters(), strict=True):
                e.lerp_(g, 1 - decay)
        step += 1
        seen += inputs.shape[0]
        log.step(step, inputs.shape[0], {"l1": l1, "adv": adv, "d": d_loss}, force=budget.steps_done(step))
        if checkpoint.due():
            checkpoint.save(_meta(step, seen, trained_seconds + budget.elapsed, args))
            save_weights(args.out / "model.safetensors", ema)

    # 4. Outputs: checkpoint, inference weights, config, validation, samples, metrics.
    checkpoint.save(_meta(step, seen, trained_seconds + budget.elapsed, args))
    ema = ema.float().to(memory_format=torch.contiguous_format).eval()
    save_inference(args.out, ema, config)
    if terminate.requested:
        print("sketch: SIGTERM, checkpoint written", flush=True)
        return SIGTERM_EXIT
    if step > start_step:
        losses = {"l1": l1.item(), "adv": adv.item(), "d": d_loss.item()}
    metrics = {
        "steps": step,
        "images_seen": seen,
        "minutes": round((trained_seconds + budget.elapsed) / 60, 2),
        "batch_size": args.batch_size,
        "crop": args.crop,
        "final_losses": losses,
        "parameters": sum(p.numel() for p in ema.parameters()),
        "training_photos": len(train.photos),
        "training_human_drawings": len(train.lines),
    }
    if val is not None and val.lines:
        deadline = budget.deadline(15.0)  # leave time to write the grid and metrics, and to exit
        report, samples = score(ema, val, mean, args.val_limit or None, args.seed, deadline)
        metrics["validation"] = report
        save_grid(samples, args.out / "samples.png")
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print(f"sketch: done, {step} steps, {seen} images, {budget.elapsed / 60:.1f} min", flush=True)
    return 0


def _meta(step: int, seen: int, seconds: float, args: argparse.Namespace) -> dict:
    return {
        "step": step,
        "images_seen": seen,
        "train_seconds": round(seconds, 1),
        "seed": args.seed,
        "init": str(args.init or ""),
    }
