"""The tools the batch engine can run, each an adapter from `process(pictures) -> pictures` to a core operation.

`settings_key()` names everything that changes the output (tool, model file checksum, options), so a
re-run redoes items whose settings changed and skips the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.device import ComputeSettings
from app.core.errors import LatentStudioError
from app.core.imageio import Picture
from app.core.jobs import Progress


def _weights_key(model_name: str) -> str:
    from models.registry import default_registry

    registry = default_registry()
    return registry.entry(registry.spec(model_name).weights_file)["sha256"][:16]


@dataclass
class ColorizeTool:
    settings: ComputeSettings = field(default_factory=ComputeSettings)
    working_size: int = 256
    name: str = "colorize"

    def settings_key(self) -> str:
        return f"colorize:{_weights_key('colorizer')}:size={self.working_size}"

    def process(self, pictures: list[Picture], progress: Progress) -> list[Picture]:
        from app.core.colorize import colorize_pictures

        results = colorize_pictures(pictures, working_size=self.working_size, settings=self.settings, progress=progress)
        return [result.picture for result in results]


def make_tool(name: str, settings: ComputeSettings, size: int = 256, attrs: list[str] | None = None):
    """The batch tool called `name`, configured from CLI/GUI options."""
    if name == "colorize":
        return ColorizeTool(settings, size)
    raise LatentStudioError(f"There is no batch tool called '{name}' (available: colorize).")
