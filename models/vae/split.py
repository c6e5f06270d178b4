"""The fixed UTKFace train/val rule and the labels in its file names.

The split is a hash of the file name (not a random draw, not the file order), so the pack, the recipes,
the direction builder and the evaluation agree on it forever, and adding files never moves old ones.
"""

from __future__ import annotations

import hashlib
import re

VAL_PERCENT = 10
_NAME = re.compile(r"^(\d+)_([01])_([0-4])_")

YOUNG_MAX_AGE = 30  # "young": age <= 30
OLD_MIN_AGE = 50  # "old": age >= 50 (ages in between carry no young/old label)


def is_val(file_name: str) -> bool:
    """True for the ~10% of faces held out for validation (a stable hash of the bare file name)."""
    digest = hashlib.sha1(file_name.rsplit("/", 1)[-1].encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < VAL_PERCENT


def parse_labels(file_name: str) -> tuple[int, int, int] | None:
    """(age, gender 0 male / 1 female, race 0-4) from `<age>_<gender>_<race>_<time>.jpg`, None if unlabelled."""
    match = _NAME.match(file_name.rsplit("/", 1)[-1])
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3))
