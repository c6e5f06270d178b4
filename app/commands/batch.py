"""`latent-studio batch TOOL IN_DIR OUT_DIR ...`: run a tool over a whole folder.

Exit code 0 when every item was done or skipped, 1 when any item failed (see the CSV report in OUT_DIR),
2 for a usage or set-up error (bad folders or options, a missing or corrupt model: one line, before any
picture is read), 130 when interrupted (a re-run resumes where it stopped).

Inputs that would share an output name (a.jpg and a.png with --format png, c.gif and c.png) are told apart:
the one already named like the output keeps the name, the others add the extension to their full name
(a.jpg.png, c.gif.png). --in-place replaces every picture with its result in its own file and format
(atomically; BMP and GIF, which are not written, are reported as failed).
"""

from __future__ import annotations

import argparse
import sys
import time

TOOLS = ("colorize", "sketch", "edit")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="process a whole folder with a tool (resumable; bad files are reported, not fatal)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("tool", choices=TOOLS)
    parser.add_argument("in_dir", help="folder of input images")
    parser.add_argument("out_dir", help="folder for the results (the input tree is mirrored)")
    parser.add_argument("-r", "--recursive", action="store_true", help="include sub-folders")
    parser.add_argument("--format", dest="output_format", default="same", choices=["same", "png", "jpg", "webp", "tif"])
    existing = parser.add_mutually_exclusive_group()
    existing.add_argument("--overwrite", action="store_true", help="redo every item, replacing existing outputs")
    existing.add_argument("--skip-existing", action="store_true", help="keep finished outputs (the default)")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="OUT_DIR is IN_DIR: replace each picture with its result (same file and format)",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="decode/encode threads (default: 2 on a CPU, up to 6 beside a GPU)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=0, help="images per forward pass (default: 1 on a CPU, 16 on a GPU)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    parser.add_argument(
        "--size",
        type=int,
        default=None,
        help="working size of the network (colorize: default 256; sketch: default the subject's own)",
    )
    parser.add_argument(
        "--subject",
        default="scene",
        metavar="NAME",
        help="sketch: what the drawings show, each its own model: scene (default), face, clothing",
    )
    parser.add_argument(
        "--vividness",
        type=float,
        default=0.0,
        metavar="V",
        help="colorize: 0 (default) natural, the most accurate colours; up to 1 close to real photos' colourfulness",
    )
    parser.add_argument(
        "--reference",
        metavar="PHOTO",
        help="colorize: one colour photo to take the colours from for the whole folder (matched by content)",
    )
    parser.add_argument(
        "--model",
        default="colorizer",
        metavar="NAME",
        help="colorize: the shipped colorizer (default) or one of your own (latent-studio train --list)",
    )
    parser.add_argument(
        "--attr", action="append", default=[], metavar="NAME=AMOUNT", help="edit: attribute change in sigmas"
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="run on Ray (pip install 'latent-studio[cluster]'): a local Ray runtime, or the cluster at "
        "ADDRESS (HOST:PORT of `ray start --head`); every node must see IN_DIR and OUT_DIR at these paths",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from latent_studio.app.commands.exit_codes import EXIT_INTERRUPTED, EXIT_ITEMS_FAILED, EXIT_OK
    from latent_studio.app.core.batch import summarize
    from latent_studio.app.core.batch_setup import BatchRequest, prepare_batch
    from latent_studio.app.core.jobs import Progress

    request = BatchRequest(
        args.tool,
        args.in_dir,
        args.out_dir,
        recursive=args.recursive,
        output_format=args.output_format,
        overwrite=args.overwrite,
        in_place=args.in_place,
        working_size=args.size,
        attrs=tuple(args.attr),
        vividness=args.vividness,
        reference=args.reference,
        model=args.model,
        device=args.device,
        workers=args.workers,
        batch_size=args.batch_size,
        ray_address=args.ray,
        subject=args.subject,
    )
    batch = prepare_batch(request)  # checks, tool (model loaded), engine (Ray joined), plan: one line if bad
    total = batch.plan.total
    bar = tqdm(total=total, unit="img", disable=args.no_progress or None, file=sys.stderr, dynamic_ncols=True)
    results = []
    start = time.perf_counter()
    try:
        for result in batch.results(Progress()):
            results.append(result)
            bar.update(1)
            if result.status == "failed":
                bar.write(f"failed: {result.source}: {result.error}", file=sys.stderr)
    except KeyboardInterrupt:
        bar.close()
        print(f"interrupted after {len(results)} of {total}; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    print(summarize(results, time.perf_counter() - start))
    return EXIT_ITEMS_FAILED if any(r.status == "failed" for r in results) else EXIT_OK
