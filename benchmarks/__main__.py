"""`python -m benchmarks [--quick] [--device cpu|cuda] [--only SECTION ...] [--out FILE] [--count N]`.

Sections: floor + models (parameters, GFLOPs, latency, ratio to the FLOP floor), actions (end-to-end user
actions, each in a subprocess), gui (app start, event-loop stall), batch (naive loop vs batch engine),
settings (the torch CPU settings study), finetune (crops per second of the `train colorizer` and `train sketch`
steps, on the CPU and on CUDA when there is one). Prints a table and writes the results as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

SECTIONS = ("models", "actions", "gui", "batch", "settings", "finetune", "cluster")
DEFAULT_SECTIONS = SECTIONS[:-1]  # cluster (batch on Ray) only when asked for: it starts a Ray runtime


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and 1-2 repeats: a smoke test of every field")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="--quick at the smallest inputs, one repeat, the actions in this process: the test suite's smoke run "
        "(every section runs and reports its numbers; they mean nothing)",
    )
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the settings study is CPU-only)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        default=list(DEFAULT_SECTIONS),
        metavar="SECTION",
        help=f"run only these sections ({', '.join(SECTIONS)}; all but cluster by default)",
    )
    parser.add_argument("--count", type=int, default=None, help="photos in the batch benchmark's folder")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads for every section (sets LATENT_STUDIO_THREADS; default: the app's choice)",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.quick = args.quick or args.tiny
    if args.threads:
        os.environ["LATENT_STUDIO_THREADS"] = str(
            args.threads
        )  # read by configure_torch_threads, here and in subprocesses
    import torch

    from benchmarks.weights import prepare_weights
    from latent_studio.app.core.device import configure_torch_threads, resolve_device

    device = resolve_device(args.device)
    threads = configure_torch_threads()
    with tempfile.TemporaryDirectory(prefix="latent-bench-weights-") as folder:
        sources = prepare_weights(Path(folder))  # also points LATENT_STUDIO_WEIGHTS (and subprocesses) at it
        results: dict = {
            "meta": {
                "quick": args.quick,
                "tiny": args.tiny,
                "device": str(device),
                "threads": threads,
                "cpu_count": os.cpu_count(),
                "torch": torch.__version__,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else "",
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "sections": args.only,
                "weights": sources,
            }
        }
        started = time.perf_counter()
        if "models" in args.only:
            from benchmarks.floor import floor_rates
            from benchmarks.models import run_models

            results["floor"] = floor_rates(device, args.quick, args.tiny)
            results["models"] = run_models(device, results["floor"], sources, args.quick, args.tiny)
        if "actions" in args.only:
            from benchmarks.actions import run_actions

            results["actions"] = run_actions(args.device, args.quick, args.tiny)
        if "gui" in args.only:
            from benchmarks.gui import run_gui_benchmarks

            results["gui"] = run_gui_benchmarks(args.device, args.quick)
        if "batch" in args.only:
            from benchmarks.batch import run_batch_benchmark

            results["batch"] = run_batch_benchmark(args.device, args.count, args.quick, args.tiny)
        if "settings" in args.only:
            from benchmarks.settings import run_settings_study

            results["settings"] = run_settings_study(args.quick, args.tiny)
        if "finetune" in args.only:
            from benchmarks.finetune import run_finetune_benchmark

            results["finetune"] = run_finetune_benchmark(args.quick, args.tiny)
        if "cluster" in args.only:
            from benchmarks.cluster import run_cluster_benchmark

            results["cluster"] = run_cluster_benchmark(args.device, args.count, args.quick)
        from benchmarks.report import check_targets, format_report

        results["targets"] = check_targets(results)
        results["meta"]["seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(format_report(results))
    if "finetune" in results:
        from benchmarks.finetune import format_finetune

        print("\n".join(format_finetune(results["finetune"])))
    if "cluster" in results:
        from benchmarks.cluster import format_cluster

        print("\n".join(format_cluster(results["cluster"])))
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
