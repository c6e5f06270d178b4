"""`python -m latent_studio.models.evaluate vae --data .gpu/faces.npz [--out report.json]`: the face VAE on held-out
faces.

1. Reconstruction: PSNR, SSIM and sharpness (luma gradient and high-frequency energy, as ratios to the
   originals) of the posterior-mean reconstruction, for our VAE and, with --baseline, the pixel-loss one.
2. Attribute directions, judged by the separately trained face-attributes classifier: every face is moved
   by 2 sigma along the direction *towards the opposite of what the classifier sees in its reconstruction*
   (old faces towards young, young towards old). We count how often the judged attribute flips, how often
   the other attribute stays, and how far the image moves (mean absolute change of the decode), and do the
   same with random directions of the same length, in the same run, as the baseline: the mean over
   --random-directions of them (8), with the least and most flips, because one random direction's flip rate
   swings by several points from one draw to the next.
   The smile direction is judged by mouth landmarks (models.vae.smile) on all the encoded faces, like the
   others (--smile-faces N: the first N only, for speed); on the first 200 alone its "female kept" read 0.82
   where all 930 held-out faces read 0.87, a sample that small swings by about +-0.05.
3. PCA directions: how the judged attributes shift at +2 sigma (what each component seems to mean).
4. With --refine-steps N: the first --refine-faces faces fitted one by one as the app fits a photo's face
   (models.vae.refine): median PSNR and sharpness before and after, seconds per face, and the attribute
   directions measured again from the fitted faces (what a user sees after encoding a photo).
Prints markdown tables and writes the JSON report.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from latent_studio.models.vae.directions import DirectionSet
from latent_studio.models.vae.spec import DIRECTIONS_FILE
from latent_studio.models.vae.trainkit import load_faces
from latent_studio.models.vae.validate import validate_vae

JUDGED = {"young": ("young", "female"), "female": ("female", "young")}  # direction: (judged output, other output)


def _from_run(folder: Path, name: str, device: torch.device):
    """A network from a training run folder (model.safetensors + config.json), to evaluate before shipping."""
    from latent_studio.models.registry import default_registry

    return default_registry().load_trained(name, folder / "model.safetensors", device)


def load_networks(args: argparse.Namespace, device: torch.device):
    from latent_studio.models.registry import default_registry

    registry = default_registry()
    vae = _from_run(args.vae_run, "vae", device) if args.vae_run else registry.load_model("vae", device)
    judge = (
        _from_run(args.classifier_run, "face-attributes", device)
        if args.classifier_run
        else registry.load_model("face-attributes", device)
    )
    if args.directions:
        directions = DirectionSet.load(args.directions)
    else:
        directions = DirectionSet.from_tensors(registry.load_tensors(DIRECTIONS_FILE))
    baseline = _from_run(args.baseline, "vae", device) if args.baseline else None
    return vae, judge, directions, baseline


@torch.no_grad()
def judge_outputs(judge, images: torch.Tensor) -> dict[str, torch.Tensor]:
    outs = [judge.attributes(images[i : i + 512]) for i in range(0, len(images), 512)]
    return {k: torch.cat([o[k] for o in outs]) for k in outs[0]}


@torch.no_grad()
def decode_all(vae, codes: torch.Tensor, details: torch.Tensor | None = None) -> torch.Tensor:
    """Decodes in chunks of 512; `details`: each code's detail map (fitted faces), else none."""
    return torch.cat(
        [
            vae.decode(codes[i : i + 512], None if details is None else details[i : i + 512]).float().clamp(0, 1)
            for i in range(0, len(codes), 512)
        ]
    )


@torch.no_grad()
def direction_effect(
    vae,
    judge,
    codes: torch.Tensor,
    base: torch.Tensor,
    base_judged: dict,
    vector: torch.Tensor,
    sigma: float,
    judged: str,
    other: str,
    amount: float = 2.0,
    details: torch.Tensor | None = None,
) -> dict:
    """Move each code by `amount` sigma towards the opposite of its judged label; measure flips and change."""
    is_on = base_judged[judged] > 0.5
    sign = torch.where(is_on, -1.0, 1.0)[:, None]
    moved = decode_all(vae, codes + sign * amount * sigma * vector[None], details)
    after = judge_outputs(judge, moved)
    return {
        "flip_rate": round(((after[judged] > 0.5) != is_on).float().mean().item(), 4),
        "other_kept": round(((after[other] > 0.5) == (base_judged[other] > 0.5)).float().mean().item(), 4),
        "image_change_l1": round((moved - base).abs().mean().item(), 4),
    }


RANDOM_DIRECTIONS = 8  # random baselines averaged per direction (one draw's flip rate has a spread of ~0.07)


def random_units(count: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """(count, dim) random unit vectors, uniform on the sphere."""
    vectors = torch.randn(count, dim, generator=generator)
    return vectors / vectors.norm(dim=1, keepdim=True)


def mean_of(effects: list[dict]) -> dict:
    """The mean of each number over several random directions' effects, with the least and most flips."""
    out = {key: round(sum(e[key] for e in effects) / len(effects), 4) for key in effects[0]}
    flips = [e["flip_rate"] for e in effects]
    return {**out, "flip_rate_min": min(flips), "flip_rate_max": max(flips), "directions": len(effects)}


def attribute_effects(
    vae,
    judge,
    directions: DirectionSet,
    codes: torch.Tensor,
    base: torch.Tensor,
    base_judged: dict,
    seed: int = 0,
    details: torch.Tensor | None = None,
    randoms: int = RANDOM_DIRECTIONS,
) -> dict:
    """Flip rate / other kept / image change of each judged attribute direction and, averaged, of `randoms`
    random directions of the same length (drawn from `seed` in a fixed order, so two direction sets meet the
    same random ones)."""
    generator = torch.Generator().manual_seed(seed)
    out = {}
    for name, (judged, other) in JUDGED.items():
        if name not in directions.names:
            continue
        i = directions.index(name)
        vector, sigma = directions.vectors[i].float().to(codes.device), float(directions.sigmas[i])
        moves = [vector, *random_units(randoms, vector.numel(), generator).to(codes.device)]
        effects = [
            direction_effect(vae, judge, codes, base, base_judged, v, sigma, judged, other, details=details)
            for v in moves
        ]
        out[name] = {"sigma": round(sigma, 4), "direction": effects[0], "random": mean_of(effects[1:])}
    return out


def evaluate(
    vae,
    judge,
    directions: DirectionSet,
    images: torch.Tensor,
    seed: int = 0,
    pca_faces: int = 256,
    compare: dict[str, DirectionSet] | None = None,
    randoms: int = RANDOM_DIRECTIONS,
) -> dict:
    """The full report (see the module docstring) for faces (N,3,S,S) uint8 on the nets' device; `compare`
    direction sets are measured beside `directions` on the same faces with the same random directions.

    PCA directions are described on the first `pca_faces` faces only (8 more passes over all faces would
    triple the CPU time for a descriptive number)."""
    report: dict = {"faces": int(images.shape[0]), "reconstruction": {"ours": validate_vae(vae, images)}}
    with torch.no_grad():
        codes = torch.cat([vae.encode(images[i : i + 512].float() / 255).float() for i in range(0, len(images), 512)])
    base = decode_all(vae, codes)
    base_judged = judge_outputs(judge, base)
    report["attributes"] = attribute_effects(vae, judge, directions, codes, base, base_judged, seed, randoms=randoms)
    if compare:
        report["compare"] = {
            label: attribute_effects(vae, judge, other, codes, base, base_judged, seed, randoms=randoms)
            for label, other in compare.items()
        }
    report["pca"] = {}
    few = slice(0, pca_faces)
    for i, (name, kind) in enumerate(zip(directions.names, directions.kinds, strict=True)):
        if kind != "pca":
            continue
        moved = codes[few] + 2 * float(directions.sigmas[i]) * directions.vectors[i][None].to(codes.device)
        after = judge_outputs(judge, decode_all(vae, moved))
        report["pca"][name] = {
            k: round((after[k] - base_judged[k][few]).mean().item(), 4) for k in ("female", "young", "age")
        }
    return report


def smile_effects(
    vae,
    judge,
    directions: DirectionSet,
    codes: torch.Tensor,
    age: torch.Tensor,
    details: torch.Tensor | None = None,
    seed: int = 0,
    amount: float = 2.0,
    randoms: int = RANDOM_DIRECTIONS,
) -> dict:
    """The smile direction judged by mouth landmarks (models.vae.smile.SmileJudge), the young and female
    labels judged by the classifier; beside `randoms` random directions of the same length, averaged (same
    rule as the others)."""
    from latent_studio.models.registry import default_registry
    from latent_studio.models.vae.smile import SmileJudge

    medians = {int(k): float(v) for k, v in directions.facts["smile"]["band_medians"].items()}
    smiles = SmileJudge(default_registry().load_model("face-detector", "cpu"), medians)
    base = decode_all(vae, codes, details)
    on, labels = smiles.smiling(base, age), judge_outputs(judge, base)
    i = directions.index("smile")
    vector, sigma = directions.vectors[i].float().to(codes.device), float(directions.sigmas[i])
    sign = torch.where(on > 0.5, -1.0, 1.0)[:, None]  # towards the opposite of what each face shows

    def effect(v: torch.Tensor) -> dict:
        moved = decode_all(vae, codes + sign * amount * sigma * v[None], details)
        after, judged = smiles.smiling(moved, age), judge_outputs(judge, moved)
        both = torch.isfinite(on) & torch.isfinite(after)
        kept = {
            f"{k}_kept": round(float(((judged[k] > 0.5) == (labels[k] > 0.5)).float().mean()), 4)
            for k in ("young", "female")
        }
        return {
            "flip_rate": round(float((after[both] != on[both]).float().mean()), 4),
            "judged_faces": int(both.sum()),
            **kept,
            "image_change_l1": round(float((moved - base).abs().mean()), 4),
        }

    units = random_units(randoms, vector.numel(), torch.Generator().manual_seed(seed + 7)).to(codes.device)
    return {
        "sigma": round(sigma, 4),
        "faces": len(codes),
        "direction": effect(vector),
        "random": mean_of([effect(unit) for unit in units]),
    }


def refined_report(
    vae,
    judge,
    directions: DirectionSet,
    images: torch.Tensor,
    steps: int,
    seed: int = 0,
    age: torch.Tensor | None = None,
    randoms: int = RANDOM_DIRECTIONS,
) -> dict:
    """Section 4 of the report: faces (N,3,S,S) uint8 fitted in chunks of 16 (same result as one by one:
    the loss is a sum of per-face terms and Adam is per-value), timed per face on this device."""
    import time

    from latent_studio.models.metrics import gradient_magnitude
    from latent_studio.models.vae.refine import refine

    codes, details, before, after, seconds = [], [], [], [], 0.0
    for start in range(0, len(images), 16):
        x = images[start : start + 16].float() / 255
        began = time.perf_counter()
        fitted = refine(vae, x, steps)
        seconds += time.perf_counter() - began
        codes.append(fitted.codes)
        details.append(fitted.details)
        before.append(fitted.psnr_before)
        after.append(fitted.psnr_after)
    code, detail = torch.cat(codes), torch.cat(details)
    x = images.float() / 255
    with torch.no_grad():
        plain = decode_all(vae, torch.cat([vae.encode(x[i : i + 256]) for i in range(0, len(x), 256)]))
    fitted_faces = decode_all(vae, code, detail)
    original_gradient = gradient_magnitude(x).mean().item()
    judged = judge_outputs(judge, fitted_faces)
    report = {
        "faces": len(images),
        "steps": steps,
        "seconds_per_face": round(seconds / len(images), 3),
        "psnr_median_before": round(torch.cat(before).median().item(), 3),
        "psnr_median_after": round(torch.cat(after).median().item(), 3),
        "psnr_mean_after": round(torch.cat(after).mean().item(), 3),
        "sharpness_grad_ratio_before": round(gradient_magnitude(plain).mean().item() / original_gradient, 4),
        "sharpness_grad_ratio_after": round(gradient_magnitude(fitted_faces).mean().item() / original_gradient, 4),
        "attributes": attribute_effects(vae, judge, directions, code, fitted_faces, judged, seed, detail, randoms),
    }
    if age is not None and "smile" in directions.names:
        report["smile"] = smile_effects(vae, judge, directions, code, age, detail, seed, randoms=randoms)
    return report


@torch.no_grad()
def decode_latency_ms(vae, repeats: int = 50, threads: int = 1) -> dict:
    """CPU time of one slider update: decode one code + conversion to HxWx3 uint8 (the GUI's display input),
    with the settings LatentEditor uses (one intra-op thread, denormals flushed on this thread)."""
    import copy
    import time

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # as LatentEditor does: denormal activations cost ~40x on x86 CPUs
    cpu = copy.deepcopy(vae).to("cpu").float()
    code = torch.randn(1, cpu.latent_dim)
    times = []
    for i in range(repeats + 5):
        start = time.perf_counter()
        image = cpu.decode(code + 0.01 * i)
        image.clamp(0, 1).mul(255).add(0.5).to(torch.uint8)[0].permute(1, 2, 0).contiguous().numpy()
        if i >= 5:
            times.append((time.perf_counter() - start) * 1000)
    torch.set_num_threads(previous)
    times.sort()
    return {
        "threads": threads,
        "median_ms": round(times[len(times) // 2], 2),
        "p90_ms": round(times[int(len(times) * 0.9)], 2),
    }


def _random_flips(effect: dict) -> str:
    """A random baseline's mean flip rate, with the least and most of its directions when there are several."""
    if "flip_rate_min" not in effect:
        return f"{effect['flip_rate']:.3f}"
    return f"{effect['flip_rate']:.3f} ({effect['flip_rate_min']:.2f}-{effect['flip_rate_max']:.2f})"


def markdown(report: dict) -> str:
    lines = ["| model | PSNR dB | SSIM | gradient ratio | HF energy ratio | KL nats |", "|---|---|---|---|---|---|"]
    for model, r in report["reconstruction"].items():
        lines.append(
            f"| {model} | {r['val_psnr']:.2f} | {r['val_ssim']:.4f} | {r['sharpness_grad_ratio']:.3f} | "
            f"{r['sharpness_hf_ratio']:.3f} | {r['val_kl_nats']:.1f} |"
        )
    lines += [
        "",
        "| direction (2 sigma) | flip rate | random: flip (range) | other attribute kept | random: kept "
        "| image change L1 | random: change |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [(name, r) for name, r in report["attributes"].items()]
    rows += [(f"{name} ({label})", r) for label, c in report.get("compare", {}).items() for name, r in c.items()]
    for name, r in rows:
        d, b = r["direction"], r["random"]
        lines.append(
            f"| {name} | {d['flip_rate']:.3f} | {_random_flips(b)} | {d['other_kept']:.3f} | {b['other_kept']:.3f} | "
            f"{d['image_change_l1']:.4f} | {b['image_change_l1']:.4f} |"
        )
    if report["pca"]:
        lines += ["", "| PCA direction (+2 sigma) | d P(female) | d P(young) | d age (years) |", "|---|---|---|---|"]
        for name, r in report["pca"].items():
            lines.append(f"| {name} | {r['female']:+.3f} | {r['young']:+.3f} | {r['age']:+.1f} |")
    if "refined" in report:
        r = report["refined"]
        lines += [
            "",
            f"Fitted faces ({r['faces']} faces, {r['steps']} steps, {r['seconds_per_face']} s per face in chunks): "
            f"median PSNR {r['psnr_median_before']} -> {r['psnr_median_after']} dB, gradient ratio "
            f"{r['sharpness_grad_ratio_before']} -> {r['sharpness_grad_ratio_after']}",
            "",
            "| direction on fitted faces (2 sigma) | flip rate | random: flip | other kept | random: kept |",
            "|---|---|---|---|---|",
        ]
        for name, e in r["attributes"].items():
            d, b = e["direction"], e["random"]
            kept = f"{d['other_kept']:.3f} | {b['other_kept']:.3f}"
            lines.append(f"| {name} | {d['flip_rate']:.3f} | {_random_flips(b)} | {kept} |")
    for where, r in (("encoded", report.get("smile")), ("fitted", report.get("refined", {}).get("smile"))):
        if r:
            d, b = r["direction"], r["random"]
            lines += [
                "",
                f"smile on {where} faces ({r['faces']}; judged by mouth landmarks): flip {d['flip_rate']:.3f} "
                f"(random {_random_flips(b)}), young kept {d['young_kept']:.3f} (random {b['young_kept']:.3f}), "
                f"female kept {d['female_kept']:.3f} (random {b['female_kept']:.3f})",
            ]
    for key in ("cpu_decode",):
        if key in report:
            t = report[key]
            lines += [
                "",
                f"CPU decode + uint8 conversion ({t['threads']} threads): "
                f"median {t['median_ms']} ms, p90 {t['p90_ms']} ms",
            ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.evaluate vae", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", nargs="+", required=True, help="faces pack(s) or UTKFace folder(s)")
    parser.add_argument("--split", choices=["val", "all"], default="val", help="val: the held-out split only (default)")
    parser.add_argument("--out", type=Path, help="JSON report")
    parser.add_argument("--vae-run", type=Path, help="a training run folder instead of the shipped VAE")
    parser.add_argument("--classifier-run", type=Path, help="a face-attributes run folder instead of the shipped one")
    parser.add_argument("--directions", type=Path, help="a directions file instead of the shipped asset")
    parser.add_argument(
        "--compare", type=Path, nargs="+", default=[], help="other directions files, measured beside in the same run"
    )
    parser.add_argument("--baseline", type=Path, help="run folder of the pixel-loss VAE to compare in the same run")
    parser.add_argument("--limit", type=int, default=0, help="only the first N faces (smoke tests)")
    parser.add_argument("--refine-steps", type=int, default=0, help="also measure faces fitted in N steps (app: 40)")
    parser.add_argument("--refine-faces", type=int, default=200, help="how many faces to fit (the first N)")
    parser.add_argument(
        "--smile-faces",
        type=int,
        default=0,
        help="the encoded faces the smile direction is judged on (the first N; 0: all, as for the other directions)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--random-directions", type=int, default=RANDOM_DIRECTIONS, help="random baselines averaged per direction"
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    vae, judge, directions, baseline = load_networks(args, device)
    size = int(vae.image_size)
    faces = load_faces(args.data, size, device, want_val=True, limit=args.limit)
    if args.split == "all":
        train = load_faces(args.data, size, device, want_val=False, limit=args.limit)
        faces.images = torch.cat([faces.images, train.images])
    compare = {str(path): DirectionSet.load(path) for path in args.compare}
    report = evaluate(vae, judge, directions, faces.images, args.seed, compare=compare, randoms=args.random_directions)
    if baseline is not None:
        report["reconstruction"]["pixel-loss baseline"] = validate_vae(baseline, faces.images)
    if args.refine_steps:
        few = faces.images[: args.refine_faces]
        age = faces.age[: args.refine_faces]
        report["refined"] = refined_report(
            vae, judge, directions, few, args.refine_steps, args.seed, age, args.random_directions
        )
    if "smile" in directions.names:  # landmarks on every decode: the slowest part of the encoded-face report
        from latent_studio.models.vae.directions import encode_all

        first = slice(0, args.smile_faces or None)
        codes = encode_all(vae, faces.images[first])
        report["smile"] = smile_effects(
            vae, judge, directions, codes, faces.age[first], seed=args.seed, randoms=args.random_directions
        )
    report["cpu_decode"] = decode_latency_ms(vae)
    report["data"] = {"sources": [str(d) for d in args.data], "split": args.split}
    print(markdown(report))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
