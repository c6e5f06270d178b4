"""Latent Studio's one import namespace.

The repository keeps its folders at the top (`app/`, `models/`, `weights/`, `resources/`); pyproject maps
them into this package (`latent_studio.app`, `latent_studio.models`, ...), so an installed copy puts nothing
with a generic name at the top of site-packages and can live beside any other `app` or `models`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_folder(name: str) -> Path:
    """A data folder shipped inside the package: "weights" or "resources".

    Found through importlib.resources, so it is right in a checkout (the links latent_studio/weights and
    latent_studio/resources point at the repository's folders), a wheel or an sdist install alike.
    """
    return Path(str(files(__name__) / name))
