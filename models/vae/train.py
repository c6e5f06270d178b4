"""`python -m latent_studio.models.train vae --data .gpu/faces.npz --out DIR [--loss gan|pixel]`: train the face VAE.

Loss per image, with pixels in [0, 1] and every term a per-pixel mean so `--beta` reads the same in both
variants: pixel MSE + beta * KL / (3*S*S). With beta = 2*sigma^2 this is a Gaussian likelihood of noise sigma
(default 0.05 ~ sigma 0.16). Plain pixel loss gives blurry faces, so the default `--loss gan` adds Larsen et
al.'s (2016) learned similarity: the distance between discriminator features of the face and of its
reconstruction (each layer relative to the real features' energy), and, after `--gan-start` of the budget, a
hinge GAN term on reconstructions and prior samples whose weight adapts to the reconstruction gradient at the
decoder's last layer (Esser et al. 2021) so one setting holds without tuning. `--loss pixel` is the blurry
baseline with the same network, beta and budget, for the comparison in the report.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import cast

import torch
import torch.nn.functional as F

from latent_studio.models.training import SIGTERM_EXIT, Budget, Checkpoint, JsonLog, SigtermFlag, save_inference
from latent_studio.models.vae.network import FaceDiscriminator, FaceVAE
from latent_studio.models.vae.trainkit import augment, common_arguments, load_faces, save_grid, setup
from latent_studio.models.vae.validate import validate_vae

WIDTHS = (32, 64, 128, 128)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.train vae", description=__doc__.splitlines()[0]
    )
    common_arguments(parser, batch_size=256)
    parser.add_argument("--loss", choices=["gan", "pixel"], default="gan", help="gan: VAE-GAN learned similarity")
    parser.add_argument("--beta", type=float, default=0.05, help="KL weight per pixel (2*sigma^2 of the likelihood)")
    parser.add_argument("--latent-dim", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--feature-weight", type=float, default=0.05, help="discriminator-feature distance weight")
    parser.add_argument("--adv-weight", type=float, default=0.2, help="adversarial weight (times the adaptive factor)")
    parser.add_argument("--gan-start", type=float, default=0.25, help="fraction of training before the GAN term")
    return parser.parse_args(argv)


def _adaptive_weight(rec: torch.Tensor, adv: torch.Tensor, layer: torch.Tensor) -> torch.Tensor:
    """|grad rec| / |grad adv| at the decoder's last layer: the GAN term never swamps the reconstruction."""
    g_rec = torch.autograd.grad(rec, layer, retain_graph=True)[0]
    g_adv = torch.autograd.grad(adv, layer, retain_graph=True)[0]
    return (g_rec.norm() / (g_adv.norm() + 1e-4)).clamp(0, 1e3).detach()


def _feature_distance(fake: list[torch.Tensor], real: list[torch.Tensor]) -> torch.Tensor:
    terms = [
        (a.float() - b.float()).pow(2).mean() / b.float().pow(2).mean().clamp_min(1e-6)
        for a, b in zip(fake, real, strict=True)
    ]
    return torch.stack(terms).mean()


def main(argv: list[str] | None = None) -> int:
    start = time.monotonic()
    args = parse(argv)
    with SigtermFlag() as stopper:
        return _train(args, stopper, start)


def _train(args: argparse.Namespace, stopper: SigtermFlag, start: float) -> int:
    reserve = min(45.0, 15 + 0.05 * args.minutes * 60)  # validation and outputs
    budget = Budget(args.minutes, reserve_s=reserve, max_steps=args.max_steps, start=start)
    device = setup(args)
    # 1. data: train split of --data, val split of --val-data (never trained on)
    train = load_faces(args.data, args.size, device, want_val=False, limit=args.limit)
    val = load_faces(args.val_data or args.data, args.size, device, want_val=True, limit=args.limit)
    print(f"vae ({args.loss}): {len(train)} train faces, {len(val)} val faces at {args.size}px on {device}", flush=True)
    # 2. networks, optimizers, resume
    config = {"latent_dim": args.latent_dim, "widths": list(WIDTHS), "image_size": args.size, "code_channels": 32}
    vae = FaceVAE(**config).to(device).to(memory_format=torch.channels_last)
    modules: dict[str, torch.nn.Module] = {"vae": vae}
    gan = args.loss == "gan"
    if gan:
        disc = FaceDiscriminator(WIDTHS, args.size).to(device).to(memory_format=torch.channels_last)
        modules["disc"] = disc
        opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.9))
    opt_v = torch.optim.Adam(vae.parameters(), lr=args.lr, betas=(0.5, 0.9))
    checkpoint = Checkpoint(args.out, modules, args.max_steps, args.checkpoint_minutes)
    meta = checkpoint.load()
    step, seen = int(meta.get("step", 0)), int(meta.get("images_seen", 0))
    gan_on = meta.get("gan_on") == "True"
    budget.begin()  # --max-steps counts from step 0: a resumed run stops at that total
    log = JsonLog(args.out, start, fresh=not meta)
    generator = torch.Generator(device=device)
    generator.manual_seed(args.seed * 1000003 + step)
    cuda = device.type == "cuda"
    npix = 3 * args.size * args.size
    last_layer = cast(torch.Tensor, vae.decoder[-2].weight)
    losses, batch = {}, args.batch_size

    def state() -> dict:
        return {"step": step, "images_seen": seen, "gan_on": gan_on}

    # 3. training loop
    while not stopper.requested and not budget.over(step):
        progress = max(budget.fraction(), step / args.max_steps if args.max_steps else 0.0)
        gan_on = gan_on or (gan and progress >= args.gan_start)
        lr = args.lr * (1.0 if progress < 0.7 else max(0.1, (1 - progress) / 0.3))
        for opt in [opt_v] + ([opt_d] if gan else []):
            for group in opt.param_groups:
                group["lr"] = lr
        index = torch.randint(len(train), (batch,), device=device, generator=generator)
        x = augment(train.floats(index), generator).contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            mean, logvar = vae.encode(x, with_logvar=True)
            mean, logvar = mean.float(), logvar.float()
            z = mean + torch.randn(mean.shape, device=device, generator=generator) * (0.5 * logvar).exp()
            if gan:
                prior = torch.randn(batch // 2, args.latent_dim, device=device, generator=generator)
                out = vae.decode(torch.cat([z, prior]))
                xr, xp = out[:batch], out[batch:]
            else:
                xr = vae.decode(z)
            kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
            pix = F.mse_loss(xr.float(), x)
            rec = pix
            if gan:
                disc.requires_grad_(False)
                with torch.no_grad():
                    _, real_features = disc(x)
                logits, fake_features = disc(torch.cat([xr, xp]))
                feat = _feature_distance([f[:batch] for f in fake_features], real_features)
                rec = pix + args.feature_weight * feat
            loss = rec + args.beta * kl / npix
            if gan_on:
                adv = -logits.float().mean()
                weight = args.adv_weight * _adaptive_weight(rec, adv, last_layer)
                loss = loss + weight * adv
        opt_v.zero_grad(set_to_none=True)
        loss.backward()
        opt_v.step()
        losses = {"loss": loss.detach(), "pixel_mse": pix.detach(), "kl": kl.detach()}
        if gan:
            disc.requires_grad_(True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
                real_logits, _ = disc(x)
                fake_logits, _ = disc(torch.cat([xr, xp]).detach())
                d_loss = F.relu(1 - real_logits.float()).mean() + F.relu(1 + fake_logits.float()).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            losses.update(feature=feat.detach(), d_loss=d_loss.detach())
            if gan_on:
                losses.update(adv=adv.detach(), adv_weight=weight)
        step, seen = step + 1, seen + batch
        log.step(step, batch, losses)
        if checkpoint.due():
            checkpoint.save(state())
    log.step(step, 0, losses, force=True)
    checkpoint.save(state())
    if stopper.requested:
        print("SIGTERM: checkpoint written, exiting", flush=True)
        return SIGTERM_EXIT
    # 4. outputs: inference weights, validation metrics, samples
    vae.eval()
    save_inference(args.out, vae, config)
    metrics = validate_vae(vae, val.images, batch_size=256)
    metrics.update(
        recipe=f"vae --loss {args.loss}",
        steps=step,
        images_seen=seen,
        minutes=round((time.monotonic() - budget.train_start) / 60, 2),
        beta=args.beta,
        final_losses={k: round(float(v), 5) for k, v in losses.items()},
        train_faces=len(train),
        val_faces=len(val),
        data="UTKFace crop_part1 (non-commercial research licence), val = sha1(file name) % 100 < 10",
    )
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    with torch.no_grad():
        originals = val.floats(torch.arange(min(8, len(val)), device=device))
        recon = vae(originals)
        prior = vae.decode(torch.randn(8, args.latent_dim, generator=torch.Generator().manual_seed(0)).to(device))
        ends = vae.encode(originals[:2])
        ts = torch.linspace(0, 1, 8, device=device)[:, None]
        blend = vae.decode(ends[0] * (1 - ts) + ends[-1] * ts)
    save_grid([originals, recon, prior, blend], args.out / "samples.png")
    print(json.dumps({k: v for k, v in metrics.items() if not isinstance(v, dict)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
