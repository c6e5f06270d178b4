"""`python -m latent_studio.models.train_all`: every training recipe at once on one GPU, in one wall-clock budget.

A lent GPU comes for minutes, not hours, so the recipes share it concurrently rather than one after another.
The commands come from models/recipes.txt (one `python -m latent_studio.models.train ...` line each; `--ready DIR` reads
`DIR/READY-*.txt` instead). While they run,
snapshots of their output folders are packed every minute into at most four <= 15 MiB parts under --out, so a
run cut short still returns its latest checkpoints (unpack with `cat runs.tar.part* | tar x`).
`--smoke` runs each recipe for a few steps only, to prove it works on the device before the real run.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tarfile
import time
from pathlib import Path

PART_BYTES = 15 * 2**20
MAX_PARTS = 4


RECIPES = Path(__file__).with_name("recipes.txt")


def read_commands(ready: Path) -> list[list[str]]:
    commands = []
    for file in [ready] if ready.is_file() else sorted(ready.glob("READY-*.txt")):
        for text in file.read_text().splitlines():
            line = text.strip()
            if line and not line.startswith("#"):
                commands.append(shlex.split(line))
    return commands


def adapt(command: list[str], runs: Path, minutes: float, smoke: bool) -> tuple[str, list[str]]:
    """Use this interpreter, our runs folder and budget; in smoke mode, a few steps only."""
    if command[:3] != ["python", "-m", "latent_studio.models.train"]:
        raise SystemExit(f"not a training command: {' '.join(command)}")
    args = command[3:]
    name = args[0] + next((f"-{args[i + 1]}" for i, a in enumerate(args) if a == "--loss"), "")
    args = _set(args, "--out", str(runs / name))
    args = _set(args, "--minutes", str(minutes))
    if smoke:
        args = _set(args, "--max-steps", "5")
    return name, [sys.executable, "-m", "latent_studio.models.train", *args]


def _set(args: list[str], flag: str, value: str) -> list[str]:
    args = list(args)
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    return args


def snapshot(runs: Path, out: Path) -> int:
    """Pack `runs` into split tar parts under `out`, as much as can come back.

    Everything but checkpoints always goes in; then the checkpoints of unfinished recipes (their only state),
    then those of finished ones, while the total stays under MAX_PARTS parts.
    """
    files = sorted(p for p in runs.rglob("*") if p.is_file())
    checkpoints = [p for p in files if p.name == "checkpoint.safetensors"]
    checkpoints.sort(key=lambda p: (p.parent / "model.safetensors").exists())
    chosen = [p for p in files if p.name != "checkpoint.safetensors"]
    budget = PART_BYTES * MAX_PARTS - sum(p.stat().st_size + 1024 for p in chosen) - 2**20
    for checkpoint in checkpoints:
        if checkpoint.stat().st_size + 1024 < budget:
            chosen.append(checkpoint)
            budget -= checkpoint.stat().st_size + 1024
    tmp = out / ".snapshot.tar"
    with tarfile.open(tmp, "w") as tar:
        for path in chosen:
            tar.add(path, arcname=str(path.relative_to(runs)))
    size = tmp.stat().st_size
    for old in out.glob("runs.tar.part*"):
        old.unlink()
    with open(tmp, "rb") as handle:
        index = 0
        while chunk := handle.read(PART_BYTES):
            part = out / f"runs.tar.part{index}"
            part.with_suffix(".tmp").write_bytes(chunk)
            os.replace(part.with_suffix(".tmp"), part)
            index += 1
    tmp.unlink()
    return size


def status_line(name: str, runs: Path) -> str:
    log = runs / name / "log.jsonl"
    if not log.exists():
        return f"{name}: (no log yet)"
    lines = log.read_text().strip().splitlines()
    return f"{name}: {lines[-1][:200] if lines else '(empty)'}"


def gpu_line() -> str:
    try:
        return subprocess.run(
            ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,  # a failing nvidia-smi only leaves the line empty
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.train_all", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--ready", type=Path, default=RECIPES, help="a commands file, or a folder of READY-*.txt")
    parser.add_argument("--runs", type=Path, default=Path("/tmp/runs"))
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp/out")))
    parser.add_argument("--minutes", type=float, default=7.0)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", nargs="*", help="run only these recipe names")
    args = parser.parse_args(argv)
    args.runs.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="2")
    processes: dict[str, subprocess.Popen] = {}
    for command in read_commands(args.ready):
        name, full = adapt(command, args.runs, args.minutes, args.smoke)
        if args.only and name not in args.only:
            continue
        (args.runs / name).mkdir(parents=True, exist_ok=True)
        with open(args.runs / name / "stdout.log", "w") as stdout:  # the child keeps its own copy of the handle
            print(f"start {name}: {' '.join(full[1:])}", flush=True)
            processes[name] = subprocess.Popen(full, stdout=stdout, stderr=subprocess.STDOUT, env=env)
    print(f"gpu at start: {gpu_line()}", flush=True)
    start = time.monotonic()
    last_snapshot = start
    while any(p.poll() is None for p in processes.values()):
        time.sleep(5)
        if time.monotonic() - last_snapshot > 60:
            last_snapshot = time.monotonic()
            size = snapshot(args.runs, args.out)
            print(f"[{time.monotonic() - start:5.0f}s] gpu {gpu_line()}; snapshot {size / 2**20:.1f} MiB", flush=True)
            for name in processes:
                print("   ", status_line(name, args.runs), flush=True)
    size = snapshot(args.runs, args.out)
    print(f"done in {time.monotonic() - start:.0f}s; outputs {size / 2**20:.1f} MiB")
    failed = 0
    for name, process in processes.items():
        print(f"== {name}: exit {process.returncode}")
        if process.returncode != 0:
            failed += 1
            print((args.runs / name / "stdout.log").read_text()[-2500:])
        else:
            print("   ", status_line(name, args.runs))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
