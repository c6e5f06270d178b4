"""`python -m latent_studio.models.evaluate <model> --data DIR ...`: measure a shipped model on held-out data.

Each model's evaluation lives beside its network (models/<name>/evaluate.py, `main(argv) -> int`); it prints
a markdown table with our model and its baselines measured in the same run and writes a JSON report.
"""

from __future__ import annotations

import importlib
import sys

EVALUATIONS = {
    "colorizer": "latent_studio.models.colorizer.evaluate",
    "sketch": "latent_studio.models.sketch.evaluate",
    "vae": "latent_studio.models.vae.evaluate",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in EVALUATIONS:
        print("usage: python -m latent_studio.models.evaluate {" + ",".join(EVALUATIONS) + "} --data DIR [options]")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return importlib.import_module(EVALUATIONS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
