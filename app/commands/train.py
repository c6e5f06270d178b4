"""`latent-studio train colorizer --data DIR --name NAME [--minutes M | --steps N] [--device D]`: fine-tune the
shipped colorizer on your own photos; `latent-studio train sketch --subject NAME --data DIR --name NAME ...`: a
sketch subject's generator; `latent-studio train --list`, `--delete NAME`, `--rename OLD NEW`.

The model lands in the user data folder (never in weights/) and is used with `colorize --model NAME` and
`batch colorize --model NAME` (a colorizer) or `sketch --model NAME` (a sketch model). Re-running with the same
name continues from its checkpoint; Ctrl-C or SIGTERM stops at a checkpoint (exit 130).
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import sys
from collections.abc import Iterator

from latent_studio.models.errors import LatentStudioError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="fine-tune the colorizer or a sketch subject on a folder of your own photos",
        description="Fine-tune a shipped model on your photos; about 10 % of the folder is held out to measure it.",
    )
    parser.add_argument("tool", nargs="?", choices=["colorizer", "sketch"], help="the model to fine-tune")
    parser.add_argument("--subject", help="sketch: the subject whose generator learns (scene, face, clothing)")
    parser.add_argument("--data", metavar="DIR", help="a folder of colour photos (searched recursively)")
    parser.add_argument("--name", help="your model's name (letters, digits, - and _); the same name resumes it")
    parser.add_argument("--minutes", type=float, default=10.0, help="wall-clock budget of this run (default 10)")
    parser.add_argument("--steps", type=int, default=0, help="a step budget for this run instead of --minutes")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")
    parser.add_argument("--batch-size", type=int, default=0, help="crops per step (default 4 on a CPU, 32 on a GPU)")
    parser.add_argument(
        "--crop",
        type=int,
        default=0,
        help="training crop size (32-512; colorizer: a multiple of 16, default 128; sketch: a multiple of 32, "
        "default the subject's resolution)",
    )
    parser.add_argument("--samples", metavar="PNG", help="also write the held-out before/after strip here")
    parser.add_argument("--list", action="store_true", help="list your models and their held-out numbers")
    parser.add_argument("--delete", metavar="NAME", help="delete one of your models")
    parser.add_argument("--rename", nargs=2, metavar=("OLD", "NEW"), help="rename one of your models")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from latent_studio.app.core import user_models

    if args.list:
        for name in user_models.list_models():
            item = user_models.entry(name)
            before, after = item["metrics"]["held_out_before"], item["metrics"]["held_out_after"]
            print(
                f"{name}\t{user_models.describe_tool(item)}\t{item['steps']} steps\theld out PSNR "
                f"{before['psnr']:.2f} -> {after['psnr']:.2f} dB\t{item['data']}"
            )
        return 0
    if args.delete:
        user_models.delete(args.delete)
        return 0
    if args.rename:
        user_models.rename(*args.rename)
        return 0
    if args.tool is None or not args.data or not args.name:
        raise LatentStudioError(
            "train needs a model, --data DIR and --name NAME (e.g. train colorizer --data photos/ --name family)."
        )
    if args.subject is not None and args.tool != "sketch":
        raise LatentStudioError("--subject only applies to train sketch (the colorizer has no subjects).")
    return _train(args)


def _command(args: argparse.Namespace) -> str:
    """The command that (re)creates this model, for its manifest entry."""
    budget = ["--steps", str(args.steps)] if args.steps else ["--minutes", f"{args.minutes:g}"]
    extra = [
        *(["--batch-size", str(args.batch_size)] if args.batch_size else []),
        *(["--crop", str(args.crop)] if args.crop else []),
        "--device",
        args.device,
    ]
    subject = ["--subject", args.subject] if args.subject else []
    words = ["latent-studio", "train", args.tool, *subject, "--data", str(args.data), "--name", args.name]
    words += [*budget, *extra]
    return " ".join(map(shlex.quote, words))


def _train(args: argparse.Namespace) -> int:
    from latent_studio.app.core import finetune, user_models
    from latent_studio.app.core.device import configure_torch_threads

    user_models.check_name(args.name)  # before torch loads
    request = finetune.FinetuneRequest(
        data=args.data,
        name=args.name,
        minutes=args.minutes,
        steps=args.steps,
        device=args.device,
        batch_size=args.batch_size,
        crop=args.crop,
        command=_command(args),
        tool=args.tool,
        subject=args.subject,
    )
    quiet = getattr(args, "quiet", False)
    resuming = [(user_models.model_dir(args.name) / "checkpoint.safetensors").is_file()]
    configure_torch_threads()

    def on_update(update: finetune.TrainUpdate) -> None:
        if quiet:
            return
        if resuming[0]:  # said once the run has passed its checks
            print(f"{args.name}: continuing from its checkpoint", file=sys.stderr)
            resuming[0] = False
        eta = f", ETA {update.eta_seconds:.0f} s" if update.eta_seconds is not None else ""
        line = f"step {update.step}: loss {update.losses[-1][1]:.4f}, {update.crops_per_second:.1f} crops/s{eta}"
        if update.held_out:
            b, a = update.held_out["before"], update.held_out["after"]
            line += f"; held out PSNR {b['psnr']:.2f} -> {a['psnr']:.2f} dB"
        print(line, file=sys.stderr, flush=True)

    from latent_studio.app.core.jobs import run_sync

    try:
        with _sigterm_interrupts():
            result = run_sync(lambda progress: finetune.run(request, progress, on_update))
    except KeyboardInterrupt:
        print(f"{args.name}: stopped; the checkpoint is saved, run the same command to continue", file=sys.stderr)
        raise
    if args.samples:
        from latent_studio.app.core.finetune_state import save_strip

        save_strip(result.strip, __import__("pathlib").Path(args.samples))
    if not quiet:
        print(finetune.describe(result))
        use = "colorize" if args.tool == "colorizer" else "sketch"
        print(f"use it with: latent-studio {use} IN OUT --model {result.name}")
    return 0


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a service manager, `kill`) stops the run as Ctrl-C does: at a checkpoint, exit 130."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (an embedding caller): leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
