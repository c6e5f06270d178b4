"""`python -m latent_studio.models.train <model> --data ... --out ...`: the one entry point of every training recipe.

Each recipe lives beside its network (models/<name>/train.py) and exposes `main(argv) -> int`. Recipes are
resumable (they continue from <out>/checkpoint.safetensors), log losses to <out>/log.jsonl, write sample
grids and finish with <out>/metrics.json, which `python -m latent_studio.models.ship` records in the manifest.
SIGTERM makes a recipe write its checkpoint and exit 143; the bookkeeping is models.training's.
"""

from __future__ import annotations

import importlib
import sys

RECIPES = {
    "colorizer": ("latent_studio.models.colorizer.train", []),
    "colorizer-l2": ("latent_studio.models.colorizer.train", ["--loss", "l2"]),
    "sketch": ("latent_studio.models.sketch.train", []),
    "vae": ("latent_studio.models.vae.train", []),
    "vae-head": ("latent_studio.models.vae.train_head", []),
    "face-attributes": ("latent_studio.models.vae.classifier_train", []),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in RECIPES:
        print("usage: python -m latent_studio.models.train {" + ",".join(RECIPES) + "} --data DIR --out DIR [options]")
        print("       python -m latent_studio.models.train MODEL --help   for the recipe's own options")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module_name, extra = RECIPES[argv[0]]
    return importlib.import_module(module_name).main(extra + argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
