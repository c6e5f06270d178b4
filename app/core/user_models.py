"""The user's own models: fine-tuned copies of a shipped model, kept in the user data folder, never in weights/.

Layout: `<data>/models/<name>/model.safetensors` (+ `checkpoint.safetensors` while training) and one
`<data>/models/manifest.json` listing each finished model with its sha256, base model, data folder, command,
held-out metrics and creation time. A user model loads by name through the registry's verified path
(`Registry.load_user_file`), so a damaged file is refused like a damaged shipped one. Names are letters,
digits, '-' and '_' (1-40), and never a shipped model's name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from latent_studio.app.core.recovery import user_data_dir
from latent_studio.models.errors import LatentStudioError, WeightsError

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
SHIPPED_BASES = ("colorizer", "sketch", "sketch-face", "sketch-clothing")  # shipped models a user model starts from
TOOLS = ("colorizer", "sketch")  # what a user model is used by (`colorize --model`, `sketch --model`)


class UserModelError(LatentStudioError):
    """A user model's name is invalid or taken, or the model does not exist."""


def models_dir() -> Path:
    return user_data_dir() / "models"


def model_dir(name: str) -> Path:
    return models_dir() / name


def _shipped_names() -> set[str]:
    from latent_studio.models.registry import SPECS, _ensure_builtin_specs

    _ensure_builtin_specs()
    return set(SPECS)


def is_shipped(name: str) -> bool:
    """Whether `name` is a shipped model's (the registry's), not a user model's."""
    return name in _shipped_names()


def check_name(name: str) -> str:
    """`name` if it can name a user model, else a UserModelError saying why."""
    if not _NAME.match(name or ""):
        raise UserModelError(f"The model name '{name}' is not allowed: use 1-40 letters, digits, '-' or '_'.")
    if name in _shipped_names():
        raise UserModelError(f"The name '{name}' belongs to a shipped model; choose another name.")
    return name


def read_manifest() -> dict:
    path = models_dir() / "manifest.json"
    if not path.is_file():
        return {"format": 1, "models": {}}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise WeightsError(f"The user-model list {path} cannot be read ({error}).") from None
    data.setdefault("models", {})
    return data


def _write_manifest(manifest: dict) -> None:
    path = models_dir() / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())


def write_atomic(path: Path, data: bytes) -> None:
    """Temporary file + fsync + rename (+ fsync of the folder): `path` is either the old file or the new one,
    never half-written, even when the disk fills or the machine dies mid-write."""
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        reason = error.strerror or error
        raise LatentStudioError(f"Could not write {path} ({reason}); the previous file is kept.") from None
    try:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError:
        pass  # some filesystems cannot sync a folder; the rename itself is atomic


def list_models(base: str | None = None) -> list[str]:
    """Names of the finished user models (of `base`, if given), sorted."""
    models = read_manifest()["models"]
    return sorted(name for name, entry in models.items() if base is None or entry.get("base") == base)


def entry(name: str) -> dict:
    found = read_manifest()["models"].get(name)
    if found is None:
        known = ", ".join(list_models()) or "none yet"
        raise UserModelError(f"There is no user model called '{name}' (yours: {known}).")
    return found


def tool_of(item: dict) -> str:
    """The tool a manifest entry's model serves: recorded since sketch fine-tunes exist, else a colorizer."""
    return str(item.get("tool") or "colorizer")


def describe_tool(item: dict) -> str:
    """`colorizer`, or `sketch:SUBJECT` for a sketch model (what `train --list` shows)."""
    tool = tool_of(item)
    return f"{tool}:{item['subject']}" if item.get("subject") else tool


def tool_of_base(base: str) -> tuple[str, str | None]:
    """(tool, subject) of a model fine-tuned from the shipped `base`: ("colorizer", None) or ("sketch", SUBJECT)."""
    from latent_studio.models.sketch.subjects import SUBJECTS

    for found in SUBJECTS.values():
        if found.model == base:
            return "sketch", found.name
    return "colorizer", None


def trained_as(name: str) -> tuple[str, str | None] | None:
    """(tool, subject) the user model `name` was started as: its checkpoint's base (a checkpoint from before sketch
    fine-tunes records none: a colorizer), else its manifest entry's; None when there is no such model. A resume
    (the window's Unfinished list, a name already in use) continues it as that."""
    facts = checkpoint_facts(name)
    if facts:
        return tool_of_base(facts.get("base", "colorizer"))
    item = read_manifest()["models"].get(name)
    return tool_of_base(str(item.get("base", "colorizer"))) if item is not None else None


@dataclass(frozen=True)
class UserFile:
    """What loading a user model needs: the registry spec it fits, its verified file, its config, its subject."""

    name: str
    base: str
    path: Path
    sha256: str
    config: dict
    subject: str | None = None


def user_file(name: str, tool: str) -> UserFile:
    """The user model `name` for `tool` (`colorizer` or `sketch`); a model of another tool is one line."""
    item = entry(name)
    if tool_of(item) != tool:
        raise UserModelError(
            f"The user model '{name}' is a {describe_tool(item)} model, not a {tool} model; "
            f"use it with `latent-studio {'colorize' if tool_of(item) == 'colorizer' else 'sketch'}`."
        )
    return UserFile(
        name, item["base"], models_dir() / item["file"], item["sha256"], item["config"], item.get("subject")
    )


def is_user_model(name: str) -> bool:
    return name in read_manifest()["models"]


def record(name: str, facts: dict) -> dict:
    """Add or replace `name`'s manifest entry (its model.safetensors must already be in place)."""
    from latent_studio.models.manifest import sha256_of

    path = model_dir(name) / "model.safetensors"
    manifest = read_manifest()
    previous = manifest["models"].get(name, {})
    item = {
        **facts,
        "file": f"{name}/model.safetensors",
        "sha256": sha256_of(path),
        "size": path.stat().st_size,
        "created": previous.get("created") or time.strftime("%Y-%m-%dT%H:%M:%S"),
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    manifest["models"][name] = item
    _write_manifest(manifest)
    return item


def rename(old: str, new: str) -> None:
    check_name(new)
    manifest = read_manifest()
    if old not in manifest["models"]:
        entry(old)  # raises the "no such model" error
    if new in manifest["models"] or model_dir(new).exists():
        raise UserModelError(f"A user model called '{new}' already exists.")
    os.replace(model_dir(old), model_dir(new))
    item = manifest["models"].pop(old)
    item["file"] = f"{new}/model.safetensors"
    manifest["models"][new] = item
    _write_manifest(manifest)


def delete(name: str) -> None:
    manifest = read_manifest()
    if name not in manifest["models"] and not model_dir(name).exists():
        entry(name)
    manifest["models"].pop(name, None)
    _write_manifest(manifest)
    shutil.rmtree(model_dir(name), ignore_errors=True)


def checkpoint_facts(name: str) -> dict[str, str]:
    """The metadata of `name`'s training checkpoint (step, crops, seconds, data folder, losses), read from the
    safetensors header alone (no torch: the window lists unfinished trainings with it); {} without one."""
    path = model_dir(name) / "checkpoint.safetensors"
    try:
        with open(path, "rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            if not 0 < size <= 100_000_000:
                return {}
            header = json.loads(handle.read(size))
    except (OSError, ValueError):
        return {}
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


def unfinished() -> list[tuple[str, dict[str, str]]]:
    """(name, checkpoint facts) of every training with a checkpoint newer than its finished model (a paused or
    interrupted run, also from an earlier session of the app), sorted by name."""
    folder = models_dir()
    if not folder.is_dir():
        return []
    found = []
    for child in sorted(folder.iterdir()):
        checkpoint, model = child / "checkpoint.safetensors", child / "model.safetensors"
        if not _NAME.match(child.name) or not checkpoint.is_file():
            continue
        if model.is_file() and model.stat().st_mtime >= checkpoint.stat().st_mtime:
            continue  # finished: the model was written after its last checkpoint
        facts = checkpoint_facts(child.name)
        if facts:
            found.append((child.name, facts))
    return found


def load(name: str, device="cpu", half_precision: bool = False, registry=None):
    """The model called `name`: a shipped one through the registry, else the user's own, verified (the registry
    picks the dtype)."""
    from latent_studio.models.registry import default_registry

    registry = registry or default_registry()
    if name in _shipped_names():
        return registry.load_model(name, device, half_precision)
    item = entry(name)
    return registry.load_user_file(
        item["base"], models_dir() / item["file"], item["sha256"], item["config"], device, half_precision
    )


def weights_key(name: str) -> str:
    """A short checksum naming the weights `name` loads (the batch resume key changes when the model does)."""
    if name in _shipped_names():
        from latent_studio.models.registry import default_registry

        registry = default_registry()
        return registry.entry(registry.spec(name).weights_file)["sha256"][:16]
    return entry(name)["sha256"][:16]
