"""The tools the batch engine can run, each an adapter from `process(pictures) -> pictures` to a core operation.

`settings_key()` names everything that changes the output (tool, model file checksum, options), so a
re-run redoes items whose settings changed and skips the rest. Every tool returns `picture.with_pixels(...)`
so the source's EXIF and ICC profile travel to the output. Tools check their options when they are made
(`make_tool`, through each tool's flow module: `app.core.colorize_flow`, `app.core.sketch_flow`; the registry
`BATCH_TOOLS` names them), and `make_tool` loads and verifies the model then, so a bad option or a missing or
corrupt weights file stops the CLI with one line and exit code 2 (the dialog with one message) before any image
is touched, instead of failing every item with the same error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from latent_studio.app.core import colorize_flow, sketch_flow
from latent_studio.app.core.colorize_flow import ColorizeOptions
from latent_studio.app.core.colorize_flow import check_options as check_colorize
from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Progress
from latent_studio.app.core.sketch_flow import SketchOptions, sketch_settings
from latent_studio.app.core.sketch_flow import check_options as check_sketch
from latent_studio.models.errors import LatentStudioError

if TYPE_CHECKING:
    from latent_studio.app.core.batch import BatchTool
    from latent_studio.app.core.batch_setup import ToolRecipe
    from latent_studio.app.core.latent import LatentEditor
    from latent_studio.models.colorizer.reference import PreparedReference


def _weights_key(model_name: str) -> str:
    from latent_studio.models.registry import default_registry

    registry = default_registry()
    return registry.entry(registry.spec(model_name).weights_file)["sha256"][:16]


@dataclass
class ColorizeTool:
    settings: ComputeSettings = field(default_factory=ComputeSettings)
    working_size: int = 256
    vividness: float = 0.0
    reference: Picture | None = None  # one colour photo for the whole folder (colours matched by content)
    name: str = "colorize"
    model: str = "colorizer"  # or a user's fine-tuned model (app.core.user_models)

    def __post_init__(self) -> None:
        check_colorize(ColorizeOptions(self.working_size, self.vividness, (), self.reference))  # the one flow's checks
        self._prepared_reference: PreparedReference | None = None
        if self.reference is not None:
            from latent_studio.app.core.colorize_reference import reference_digest

            self._reference_key = f":reference={reference_digest(self.reference)}"  # a changed reference redoes all

    def settings_key(self) -> str:
        from latent_studio.app.core.user_models import weights_key

        key = f"colorize:{weights_key(self.model)}:size={self.working_size}:vividness={self.vividness:g}"
        return key + (self._reference_key if self.reference is not None else "")

    def _reference(self) -> PreparedReference | None:
        """The reference prepared once, on first use, for every chunk (network thread)."""
        if self.reference is not None and self._prepared_reference is None:
            from latent_studio.app.core.colorize import MODEL_NAME, _load
            from latent_studio.app.core.colorize_reference import prepare_reference

            model = _load(self.model or MODEL_NAME, self.settings, None)
            self._prepared_reference = prepare_reference(
                self.reference, model, self.working_size, self.settings.torch_device
            )
        return self._prepared_reference

    def load(self) -> None:
        """Load and verify the model now (set-up); the registry keeps it for the items."""
        from latent_studio.app.core.colorize import _load

        _load(self.model, self.settings, None)

    @property
    def _offloads(self) -> bool:
        """Whether the per-picture stages run in the engine's threads: beside a GPU they keep the network's thread
        free; on a CPU the network already uses every core and torch work in the I/O threads only competes with
        it (measured: the engine fell to x0.85 of the naive loop), so there they stay in the network's thread."""
        return self.settings.torch_device.type == "cuda"

    def prepare(self, picture: Picture):
        """Decode-thread stage (GPU): the lightness at the working shape, on the device."""
        from latent_studio.app.core.colorize import prepare_picture

        if not self._offloads:
            return picture
        return prepare_picture(picture, self.working_size, self.settings, keep_lightness=False)  # bounded GPU memory

    def process(self, items: list, progress: Progress) -> list:
        """Network stage; beside a GPU it returns finishers that the engine runs in its encode threads."""
        from latent_studio.app.core.colorize import colorize_prepared, prepare_picture

        prepared = items if self._offloads else [prepare_picture(p, self.working_size, self.settings) for p in items]
        finishers = colorize_prepared(
            prepared,
            working_size=self.working_size,
            settings=self.settings,
            progress=progress,
            vividness=self.vividness,
            reference=self._reference(),
            model_name=self.model,
        )
        if self._offloads:
            return [partial(_picture_of, finish) for finish in finishers]
        return [finish().picture for finish in finishers]


def _picture_of(finish) -> Picture:
    return finish().picture


@dataclass
class SketchTool:
    """Each input is a line drawing (dark lines on light paper, any colour: reduced to gray) -> a picture."""

    settings: ComputeSettings = field(default_factory=ComputeSettings)
    resolution: int | None = None  # None: the subject's own; 0: each drawing's own size
    name: str = "sketch"
    subject: str = sketch_flow.DEFAULT_SUBJECT  # which generator (app.core.sketch_flow.SUBJECTS)

    def __post_init__(self) -> None:
        check_sketch(self._options(), "--size")  # the one flow's checks (app.core.sketch_flow), the subject's too

    def _options(self) -> SketchOptions:
        return SketchOptions(self.resolution, self.subject)

    def _sketch_settings(self):
        return sketch_settings(self._options(), self.settings)

    def settings_key(self) -> str:
        options = self._sketch_settings()  # another subject: another model file and name, so its items are redone
        return (
            f"sketch:{_weights_key(options.model)}:subject={sketch_flow.subject(self.subject).name}"
            f":resolution={options.resolution}:max_side={options.max_side}"
        )

    def load(self) -> None:
        """Load and verify the model now (set-up), in the dtype `sketch_to_image` asks the registry for."""
        from latent_studio.models.registry import default_registry

        options = self._sketch_settings()
        default_registry().load_model(options.model, self.settings.torch_device, self.settings.half_precision)

    def process(self, pictures: list[Picture], progress: Progress) -> list[Picture]:
        from latent_studio.app.core.sketch import sketch_to_image

        options, results = self._sketch_settings(), []
        for i, picture in enumerate(pictures):  # sketches rarely share a size: one forward pass each
            step = progress.sub(i / len(pictures), (i + 1) / len(pictures))
            drawn = sketch_to_image(picture.pixels, None, options, step)
            results.append(picture.with_pixels(drawn, is_gray=False))
        return results


@dataclass
class EditTool:
    """Latent face edit of every photo: find the face, move its code by the sliders, paste only the change back.

    The same as `latent-studio edit IN OUT --attr ...` with the default (delta) paste, one photo at a time
    for the face detection, one decode pass per chunk.
    """

    editor: LatentEditor
    sliders: dict[str, float]
    name: str = "edit"

    def __post_init__(self) -> None:
        if not self.sliders:
            names = ", ".join(self.editor.direction_names())
            raise LatentStudioError(
                f"batch edit needs at least one --attr NAME=AMOUNT (available directions: {names})."
            )
        self._offset = self.editor.offset(self.sliders)  # unknown names: UnknownDirectionError listing the known ones

    @classmethod
    def from_attrs(cls, settings: ComputeSettings, attrs: list[str]) -> EditTool:
        """Parse `--attr NAME=AMOUNT` items exactly like `latent-studio edit` and load the face model."""
        from latent_studio.app.core.latent import LatentEditor, parse_sliders

        sliders = parse_sliders(attrs)  # syntax first: no model load for a typo
        return cls(LatentEditor.load(settings), sliders)

    def settings_key(self) -> str:
        # The offset vector covers the names, amounts, sigmas and the direction files (shipped or the user's).
        digest = hashlib.sha256(self._offset.float().numpy().tobytes()).hexdigest()[:16]
        sliders = ",".join(f"{name}={amount:g}" for name, amount in sorted(self.sliders.items()))
        from latent_studio.app.core.face_edit import FLOW_VERSION

        refine = self.editor.refine_steps
        return f"edit:{_weights_key('vae')}:{sliders}:offset={digest}:paste=delta:refine={refine}:{FLOW_VERSION}"

    def process(self, pictures: list[Picture], progress: Progress) -> list[Picture]:
        from latent_studio.app.core.face_edit import edit_pictures

        # the one face-edit flow (app.core.face_edit), shared with `latent-studio edit` and the Latent panel
        return [
            edit.picture
            for edit in edit_pictures(self.editor, pictures, self.sliders, paste="delta", progress=progress)
        ]


def _edit_tool(recipe: ToolRecipe, settings: ComputeSettings) -> EditTool:
    return EditTool.from_attrs(settings, list(recipe.attrs))  # checks the --attr syntax, then loads the face model


#: Each tool's batch factory: `(recipe, settings) -> tool`, options checked and model loaded and verified (a bad
#: option or a missing or corrupt weights file is the set-up's one error, not every item's). A new tool adds an entry.
BATCH_TOOLS: dict[str, Callable[[ToolRecipe, ComputeSettings], BatchTool]] = {
    "colorize": colorize_flow.batch_tool,
    "sketch": sketch_flow.batch_tool,
    "edit": _edit_tool,
}
TOOL_NAMES = tuple(BATCH_TOOLS)


def make_tool(recipe: ToolRecipe, settings: ComputeSettings | None = None) -> BatchTool:
    """The batch tool `recipe` names, made by its entry in BATCH_TOOLS (settings: default, the recipe's device)."""
    factory = BATCH_TOOLS.get(recipe.name)
    if factory is None:
        raise LatentStudioError(f"There is no batch tool called '{recipe.name}' (available: {', '.join(TOOL_NAMES)}).")
    return factory(recipe, settings or ComputeSettings(device=recipe.device))
