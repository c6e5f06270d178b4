"""The printed tables and the targets check of a results dict (what `python -m benchmarks` writes)."""

from __future__ import annotations

#: (label, where in the results, the target, unit). Sizes are the full-run sizes; quick runs check the same keys.
CPU_TARGETS = (
    ("slider update", ("actions", "slider", "median_ms"), 30.0, "ms"),
    ("face fit (encode a photo)", ("actions", "face_fit", "median_ms"), 2000.0, "ms"),
    ("sketch update", ("actions", "sketch_256", "median_ms"), 100.0, "ms"),
    ("colour-hint update", ("actions", "hint_update_256", "median_ms"), 150.0, "ms"),
    ("colorize 1024x1024", ("actions", "colorize_1024", "median_ms"), 500.0, "ms"),
    ("colorize 4000x3000", ("actions", "colorize_4000x3000", "median_ms"), 2000.0, "ms"),
    ("app window shown", ("gui", "start", "seconds"), 3.0, "s"),
    ("GUI stall during colorize", ("gui", "stall", "max_stall_ms"), 50.0, "ms"),
)


def check_targets(results: dict) -> list[dict]:
    """One row per target: measured value, target, met (True/False)."""
    actions = {row["action"]: row for row in results.get("actions", [])}
    rows = []
    for label, (section, key, field), target, unit in CPU_TARGETS:
        source = actions.get(key, {}) if section == "actions" else results.get(section, {}).get(key, {})
        if field in source:
            rows.append(
                {
                    "target": label,
                    "measured": source[field],
                    "limit": target,
                    "unit": unit,
                    "met": source[field] < target,
                }
            )
    for row in results.get("models", []):
        rows.append(
            {
                "target": f"{row['model']} ({row['workload']}) within 3x of FLOP floor",
                "measured": row["floor_ratio"],
                "limit": 3.0,
                "unit": "x",
                "met": row["floor_ratio"] < 3.0,
            }
        )
    batch = results.get("batch")
    if batch and batch.get("device", "").startswith("cuda"):
        rows.append(
            {
                "target": "GPU colorize 512x512 in batch",
                "measured": batch["batch_ms_per_image"],
                "limit": 10.0,
                "unit": "ms/image",
                "met": batch["batch_ms_per_image"] < 10.0,
            }
        )
    if batch:  # the batch issue: at least 2x the naive loop on a GPU, not slower on a CPU
        gpu = batch.get("device", "").startswith("cuda")
        least = 2.0 if gpu else 1.0
        rows.append(
            {
                "target": f"batch engine vs naive loop ({'GPU' if gpu else 'CPU'})",
                "measured": batch["speedup"],
                "limit": least,
                "unit": "x",
                "met": batch["speedup"] >= least,
                "at_least": True,
            }
        )
    return rows


def format_report(results: dict) -> str:
    meta = results["meta"]
    lines = [
        f"Latent Studio benchmark ({'QUICK smoke sizes, ' if meta['quick'] else ''}device {meta['device']}, "
        f"{meta['threads']} torch threads, {meta['cpu_count']} CPUs, torch {meta['torch']}, {meta['when']})"
    ]
    floor = results.get("floor")
    if floor:
        lines.append("Matmul floor: " + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in floor.items()))
    if results.get("models"):
        lines += [
            "",
            f"{'model':<16}{'workload':<27}{'weights':<13}{'dtype':<9}{'Mparams':>8}{'GFLOPs':>8}"
            f"{'ms':>9}{'floor ms':>9}{'x floor':>8}",
        ]
        for r in results["models"]:
            lines.append(
                f"{r['model']:<16}{r['workload']:<27}{r['weights']:<13}{r['dtype']:<9}{r['params_m']:>8.2f}"
                f"{r['gflops']:>8.3f}{r['latency_ms']:>9.1f}{r['floor_ms']:>9.1f}{r['floor_ratio']:>8.2f}"
            )
    if results.get("actions"):
        lines += ["", f"{'action':<54}{'size':>10}{'median ms':>11}{'first ms':>10}{'peak MiB':>10}{'target ms':>10}"]
        for r in results["actions"]:
            lines.append(
                f"{r['what']:<54}{r['size']:>10}{r['median_ms']:>11.1f}{r['first_ms']:>10.1f}"
                f"{r['peak_rss_mib']:>10.0f}{r['target_ms']:>10.0f}"
            )
    gui = results.get("gui")
    if gui:
        s, t = gui["start"], gui["stall"]
        lines += [
            "",
            f"app start -> window shown: {s['seconds']:.2f} s (median of {s['runs']}), "
            f"peak {s['peak_rss_mib']:.0f} MiB",
            f"GUI event loop during colorize {t['size']} through JobRunner: longest stall {t['max_stall_ms']:.1f} ms, "
            f"at {t['max_stall_at_ms']:.0f} ms, p99 {t['p99_stall_ms']:.1f} ms, job {t['job_ms']:.0f} ms, "
            f"peak {t['peak_rss_mib']:.0f} MiB",
        ]
    b = results.get("batch")
    if b:
        lines += [
            "",
            f"batch colorize, {b['images']} photos ({', '.join(b['sizes'])}) on {b['device']}: naive loop "
            f"{b['naive_images_per_s']:.2f} img/s, engine {b['engine_images_per_s']:.2f} img/s "
            f"(x{b['speedup']:.2f}; {b['workers']} threads, chunks of {b['chunk']}); "
            f"in-memory {b['batch_side']}x{b['batch_side']} batches of "
            f"{b['batch_per_call']}: {b['batch_ms_per_image']:.1f} ms/image",
        ]
    if results.get("settings"):
        lines += [
            "",
            f"{'settings study (CPU)':<22}{'variant':<28}{'median ms':>10}{'ratio':>7}{'best ms':>9}{'ratio':>7}  note",
        ]
        for r in results["settings"]:
            lines.append(
                f"{r['model'] + ' ' + str(r['size']):<22}{r['variant']:<28}{r['median_ms']:>10.1f}"
                f"{r['ratio']:>7.2f}{r['best_ms']:>9.1f}{r['best_ratio']:>7.2f}  {r['note']}"
            )
    if results.get("targets"):
        quick = " (QUICK sizes: these are not the real figures)" if meta["quick"] else ""
        lines += ["", f"targets{quick}:"]
        for r in results["targets"]:
            bound = "at least" if r.get("at_least") else "limit"
            lines.append(
                f"  [{'met ' if r['met'] else 'MISS'}] {r['target']}: {r['measured']:.2f} {r['unit']} "
                f"({bound} {r['limit']:g})"
            )
    return "\n".join(lines)
