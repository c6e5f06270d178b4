"""`python -m latent_studio.models.train face-attributes --data .gpu/faces.npz --out DIR`: train the attribute judge.

Gender (binary cross-entropy), young/old (cross-entropy on faces aged <= 30 or >= 50 only) and age (smooth
L1 on age / 50) from the UTKFace file-name labels, at 64x64, with flips, small shifts/scales, brightness and
contrast jitter and, on half of the batches, a down-and-up resampling blur: the classifier must score VAE
decodes, which are softer than photos. Validation reports accuracy on sharp and on blurred held-out faces.

`--decodes` also trains on the shipped VAE's reconstructions of the training faces (models.vae.reconstructions)
and reports accuracy on the held-out faces' reconstructions, the ground the judge is used on; `--init`
starts from a trained judge (the shipped one) instead of from scratch, so training adds up.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from latent_studio.models.training import SIGTERM_EXIT, Budget, Checkpoint, JsonLog, SigtermFlag, save_inference
from latent_studio.models.vae.classifier import FaceAttributeNet
from latent_studio.models.vae.trainkit import Faces, augment, common_arguments, load_faces, save_grid, setup

WIDTHS = (32, 64, 96, 128)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.train face-attributes", description=__doc__.splitlines()[0]
    )
    common_arguments(parser, batch_size=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--init", type=Path, help="start from these judge weights (e.g. the shipped file)")
    parser.add_argument(
        "--decodes", action="store_true", help="also train on the shipped VAE's reconstructions of the training faces"
    )
    return parser.parse_args(argv)


def blur(images: torch.Tensor, small: int) -> torch.Tensor:
    """Down- then up-sample through `small` pixels: the softness of a VAE decode."""
    size = images.shape[-1]
    down = F.interpolate(images, size=(small, small), mode="area")
    return F.interpolate(down, size=(size, size), mode="bilinear", align_corners=False)


def jitter(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    n = images.shape[0]
    r = torch.rand(n, 2, 1, 1, 1, device=images.device, generator=generator)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return ((images - mean) * (0.8 + 0.4 * r[:, 0]) + mean * (0.8 + 0.4 * r[:, 1])).clamp(0, 1)


def losses_of(
    out: torch.Tensor, female: torch.Tensor, young: torch.Tensor, age: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Masked means (no boolean indexing: it would sync the device every step)."""
    out = out.float()
    known, mask = (female >= 0).float(), (young >= 0).float()
    g = (
        F.binary_cross_entropy_with_logits(out[:, 0], female.clamp_min(0).float(), reduction="none") * known
    ).sum() / known.sum().clamp_min(1)
    y = (
        F.binary_cross_entropy_with_logits(out[:, 1], young.clamp_min(0).float(), reduction="none") * mask
    ).sum() / mask.sum().clamp_min(1)
    a = F.smooth_l1_loss(out[:, 2], age.float() / 50, beta=0.1)
    return {"gender": g, "young": y, "age": a}


@torch.no_grad()
def validate(net: FaceAttributeNet, val: Faces, degrade: bool = False) -> dict[str, float | None]:
    """Accuracies (and age error in years) on held-out faces, optionally blurred to 1/2 size and back."""
    outs = []
    for start in range(0, len(val), 512):
        x = val.images[start : start + 512].float().div(255)
        if degrade:
            x = F.interpolate(
                F.interpolate(x, scale_factor=0.5, mode="area"), size=x.shape[-2:], mode="bilinear", align_corners=False
            )
        outs.append(net(x).float())
    out = torch.cat(outs)
    young = val.young()
    mask = young >= 0
    return {
        "gender_acc": round(((out[:, 0] > 0).long() == val.gender).float().mean().item(), 4),
        "young_old_acc": round(((out[mask, 1] > 0).long() == young[mask]).float().mean().item(), 4)
        if mask.any()
        else None,
        "age_mae_years": round((out[:, 2] * 50 - val.age.float()).abs().mean().item(), 2),
    }


def main(argv: list[str] | None = None) -> int:
    start = time.monotonic()
    args = parse(argv)
    with SigtermFlag() as stopper:
        return _train(args, stopper, start)


def _train(args: argparse.Namespace, stopper: SigtermFlag, start: float) -> int:
    reserve = min(30.0, 10 + 0.03 * args.minutes * 60)  # validation and outputs
    budget = Budget(args.minutes, reserve_s=reserve, max_steps=args.max_steps, start=start)
    device = setup(args)
    train = load_faces(args.data, args.size, device, want_val=False, limit=args.limit)
    val = load_faces(args.val_data or args.data, args.size, device, want_val=True, limit=args.limit)
    val_decodes = None
    if args.decodes:
        from latent_studio.models.vae.reconstructions import joined, reconstructed_faces

        photos = len(train)
        train = joined(train, reconstructed_faces(args.data, args.size, device, want_val=False, limit=args.limit))
        held_out = args.val_data or args.data
        val_decodes = reconstructed_faces(held_out, args.size, device, want_val=True, limit=args.limit)
        print(f"face-attributes: + {len(train) - photos} reconstructions of them (shipped VAE)", flush=True)
    print(f"face-attributes: {len(train)} train faces, {len(val)} val faces on {device}", flush=True)
    config = {"widths": list(WIDTHS), "image_size": args.size}
    net = FaceAttributeNet(**config).to(device).to(memory_format=torch.channels_last)
    if args.init is not None:
        try:
            net.load_state_dict(load_file(str(args.init), device=str(device)), strict=True)
        except RuntimeError as error:
            first = str(error).splitlines()[0]
            raise SystemExit(f"error: --init {args.init} does not fit the face-attributes judge ({first})") from None
        print(f"face-attributes: starting from {args.init}", flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    checkpoint = Checkpoint(args.out, {"net": net}, args.max_steps, args.checkpoint_minutes)
    meta = checkpoint.load()
    step, seen = int(meta.get("step", 0)), int(meta.get("images_seen", 0))
    budget.begin()  # --max-steps counts from step 0: a resumed run stops at that total
    log = JsonLog(args.out, start, fresh=not meta)
    generator = torch.Generator(device=device)
    generator.manual_seed(args.seed * 1000003 + step)
    cuda, young_all, losses = device.type == "cuda", train.young(), {}
    coin = random.Random(args.seed + step)

    def state() -> dict:
        return {"step": step, "images_seen": seen}

    while not stopper.requested and not budget.over(step):
        progress = max(budget.fraction(), step / args.max_steps if args.max_steps else 0.0)
        for group in opt.param_groups:
            group["lr"] = args.lr * 0.5 * (1 + math.cos(progress * math.pi)) + 1e-5
        index = torch.randint(len(train), (args.batch_size,), device=device, generator=generator)
        x = jitter(augment(train.floats(index), generator, shift=0.05, scale=0.08), generator)
        if coin.random() < 0.5:  # a CPU coin: no device sync per step
            x = blur(x, coin.randint(args.size // 3, args.size))
        net.train()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            out = net(x.contiguous(memory_format=torch.channels_last))
        parts = losses_of(out, train.gender[index], young_all[index], train.age[index])
        loss = parts["gender"] + parts["young"] + 0.5 * parts["age"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step, seen = step + 1, seen + args.batch_size
        losses = {"loss": loss.detach(), **{k: v.detach() for k, v in parts.items()}}
        log.step(step, args.batch_size, losses)
        if checkpoint.due():
            checkpoint.save(state())
    log.step(step, 0, losses, force=True)
    checkpoint.save(state())
    if stopper.requested:
        print("SIGTERM: checkpoint written, exiting", flush=True)
        return SIGTERM_EXIT
    net.eval()
    save_inference(args.out, net, config)
    metrics: dict[str, object] = {"val": validate(net, val), "val_blurred": validate(net, val, degrade=True)}
    if val_decodes is not None:
        metrics["val_decodes"] = validate(net, val_decodes)
    metrics.update(
        recipe="face-attributes",
        init=str(args.init) if args.init else None,
        decodes=bool(args.decodes),
        steps=step,
        images_seen=seen,
        train_faces=len(train),
        val_faces=len(val),
        minutes=round((time.monotonic() - budget.train_start) / 60, 2),
        final_losses={k: round(float(v), 5) for k, v in losses.items()},
        data="UTKFace crop_part1 (non-commercial research licence), val = sha1(file name) % 100 < 10",
    )
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    save_grid(
        [val.floats(torch.arange(i, min(i + 8, len(val)), device=device)) for i in (0, 8) if i < len(val)],
        args.out / "samples.png",
    )
    shown = {key: metrics[key] for key in ("val", "val_blurred", "val_decodes") if key in metrics}
    print(json.dumps({**shown, "steps": step}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
