"""Batch set-up, once for `latent-studio batch`, the Batch dialog and the Ray engine's workers.

`prepare_batch(request)` turns what the user chose (`BatchRequest`: tool, folders, options, device, engine) into
a `BatchRun` (the plan, the tool, the engine), in the order that keeps a bad choice cheap:
1. the folders and options, then each tool's own option checks (no model loaded yet; the reference photo read);
2. the tool (`app.core.batch_tools.make_tool`: loads and verifies its model), and the engine (joins Ray if asked);
3. the plan (`plan_batch`: what to process, skip or refuse, with the tool's settings key).
Any of them fails with one LatentStudioError before any picture is read (the CLI: one line, exit 2; the dialog:
one message). Then `run.results(progress, pause)` is `engine(plan, tool, progress, pause)`.

A `ToolRecipe` is what makes a tool: a Ray actor makes its own from it (a tool holds a loaded model, so it is
made, not shipped). A new tool option is a field of `BatchRequest` and `ToolRecipe`, read by the tool's factory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from latent_studio.app.core.batch import (
    BatchOptions,
    BatchPlan,
    ItemResult,
    check_folders,
    default_pipeline,
    plan_batch,
)
from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Progress
from latent_studio.app.core.sketch_flow import DEFAULT_SUBJECT
from latent_studio.models.errors import LatentStudioError

DEFAULT_MODEL = "colorizer"
DEFAULT_WORKING_SIZE = 256  # colorize's; sketch's is its subject's own (app.core.sketch_flow.SUBJECTS)


@dataclass(frozen=True)
class ToolRecipe:
    """What makes a batch tool: its name and options (see `app.core.batch_tools.BATCH_TOOLS`)."""

    name: str
    device: str = "auto"
    size: int = 256  # colorize: working size; sketch: resolution
    attrs: tuple[str, ...] = ()  # edit: NAME=AMOUNT
    vividness: float = 0.0  # colorize
    reference: Picture | None = field(default=None, compare=False)  # colorize: one colour photo for every item
    model: str = DEFAULT_MODEL  # colorize: the shipped colorizer or a user's model
    subject: str = DEFAULT_SUBJECT  # sketch: which generator (scene, face, clothing)

    def make(self):
        from latent_studio.app.core.batch_tools import make_tool

        return make_tool(self)


@dataclass(frozen=True)
class BatchRequest:
    """Everything the CLI's arguments or the dialog's fields say about one batch."""

    tool: str
    in_dir: str
    out_dir: str
    recursive: bool = False
    output_format: str = "same"
    overwrite: bool = False
    in_place: bool = False
    working_size: int | None = None  # colorize, sketch; None: the tool's own (256; sketch: its subject's)
    attrs: tuple[str, ...] = ()  # edit
    vividness: float = 0.0  # colorize
    reference: str | None = None  # colorize: path of a colour photo
    model: str = DEFAULT_MODEL  # colorize
    device: str = "auto"
    workers: int = 0  # 0: the device's default (see default_pipeline)
    batch_size: int = 0
    ray_address: str | None = None  # None: the local engine; "": a local Ray runtime; else a cluster's HOST:PORT
    subject: str = DEFAULT_SUBJECT  # sketch


@dataclass
class BatchRun:
    plan: BatchPlan
    tool: object
    engine: Callable[..., Iterator[ItemResult]]  # run_batch, or a RayEngine

    def results(self, progress: Progress | None = None, pause: threading.Event | None = None) -> Iterator[ItemResult]:
        return self.engine(self.plan, self.tool, progress, pause)


def check_request(request: BatchRequest) -> None:
    """The options that belong to one tool only, given to another (one line, before anything loads)."""
    from latent_studio.app.core.batch_tools import TOOL_NAMES

    if request.tool not in TOOL_NAMES:
        raise LatentStudioError(f"There is no batch tool called '{request.tool}' (available: {', '.join(TOOL_NAMES)}).")
    if request.reference and request.tool != "colorize":
        raise LatentStudioError(f"--reference is an option of batch colorize, not of batch {request.tool}.")
    if request.model != DEFAULT_MODEL and (request.tool != "colorize" or request.ray_address is not None):
        raise LatentStudioError(
            "--model is an option of batch colorize on this machine (not of batch "
            f"{request.tool}{' with --ray' if request.ray_address is not None else ''})."
        )
    if request.subject != DEFAULT_SUBJECT and request.tool != "sketch":
        raise LatentStudioError(f"--subject is an option of batch sketch, not of batch {request.tool}.")


def recipe_of(request: BatchRequest) -> ToolRecipe:
    """The request's tool recipe, its reference photo read and checked, its working size settled (sketch: the
    subject's own unless given; an unknown subject is one line)."""
    reference = None
    if request.reference:
        from latent_studio.app.core.colorize_flow import load_reference

        reference = load_reference(request.reference)
    size = request.working_size
    if size is None:
        from latent_studio.app.core.sketch_flow import subject

        size = subject(request.subject).resolution if request.tool == "sketch" else DEFAULT_WORKING_SIZE
    return ToolRecipe(
        request.tool,
        request.device,
        size,
        tuple(request.attrs),
        request.vividness,
        reference,
        request.model,
        request.subject,
    )


def prepare_batch(request: BatchRequest) -> BatchRun:
    """The plan, the tool (model loaded) and the engine for `request`; see the module's docstring for the order."""
    from latent_studio.app.core.batch import run_batch
    from latent_studio.app.core.device import ComputeSettings, configure_torch_threads  # imports torch

    # 1. the folders and options, then the tool's options (no model yet)
    configure_torch_threads()
    settings = ComputeSettings(device=request.device)
    workers, batch_size = default_pipeline(settings.torch_device.type)
    options = BatchOptions(
        recursive=request.recursive,
        output_format=request.output_format,
        overwrite=request.overwrite,
        allow_in_place=request.in_place,
        workers=max(1, request.workers or workers),
        batch_size=max(1, request.batch_size or batch_size),
    )
    check_folders(Path(request.in_dir), Path(request.out_dir), options)
    check_request(request)
    recipe = recipe_of(request)
    # 2. the tool (loads and verifies its model), then the engine
    from latent_studio.app.core.batch_tools import make_tool

    tool = make_tool(recipe, settings)
    engine = run_batch
    if request.ray_address is not None:
        from latent_studio.app.core.batch_ray import RayEngine

        engine = RayEngine(recipe, request.ray_address or None, chunk=request.batch_size or None)
    # 3. the items
    return BatchRun(plan_batch(Path(request.in_dir), Path(request.out_dir), tool, options), tool, engine)
