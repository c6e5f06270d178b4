"""Batch on a Ray cluster: the local engine's plan, outputs, done-log, report and exit codes, with the network
work spread over Ray actors (`latent-studio batch TOOL IN OUT --ray [ADDRESS]`, the Batch dialog's Engine).

Division of labour:
1. the driver (this process) plans with `plan_batch` (same naming, same skips), clears what a killed run left,
   and yields the skipped items;
2. actors, one model load each (one per GPU, or per group of CPUs), run chunks sized for their own device with
   `process_items` (decode, the tool, atomic write), writing each output into a staging folder inside OUT_DIR
   (`.latent-studio-staging/CALL/RELATIVE/PATH`), never under its final name;
3. the driver alone renames each staged output to its final name (atomic: the same filesystem) as its result
   arrives, then appends the done-log line and the report row, exactly as `run_batch` does.

"Written twice" would be an item's final output renamed into place more than once in a run. It cannot happen:
an actor that dies (killed, out of memory, node lost) loses its in-flight calls; their items go to the other
actors under a new call folder, the dead call's staged files are never renamed and the staging folder is
removed at the end. An item that kills a worker again when run alone fails with that reason (a bad file fails
only itself). A killed driver leaves the done-log of what it renamed; a re-run resumes from it.

IN_DIR and OUT_DIR must be the same paths on every node (a shared filesystem: NFS, a cluster filesystem, or
one machine); pixels never travel through Ray's object store, only paths and results do.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from latent_studio.app.core.batch import (
    REPORT,
    BatchPlan,
    DoneLog,
    ItemFailure,
    ItemResult,
    Report,
    check_plan,
    default_pipeline,
    process_items,
    refused_results,
    remove_stale_parts,
)
from latent_studio.app.core.batch_setup import ToolRecipe  # what each actor makes its own tool from
from latent_studio.app.core.jobs import Progress
from latent_studio.models.errors import LatentStudioError

if TYPE_CHECKING:
    from ray.actor import ActorHandle

STAGING = ".latent-studio-staging"
IN_FLIGHT = 2  # calls per actor: one decodes/writes while the other runs the network (max_concurrency)
DEFAULT_PORT = 6379
INSTALL_HINT = "pip install 'latent-studio[cluster]'"


class BatchWorker:
    """The actor: loads the model once, then runs chunks of (source, staged output) paths."""

    def __init__(self, recipe: ToolRecipe, threads: int) -> None:
        from latent_studio.app.core.device import ComputeSettings, configure_torch_threads

        os.environ["LATENT_STUDIO_THREADS"] = str(max(1, threads))
        configure_torch_threads()
        self.device = ComputeSettings(device=recipe.device).torch_device.type
        self.tool = recipe.make()

    def describe(self) -> dict:
        return {
            "pid": os.getpid(),
            "node": socket.gethostname(),
            "device": self.device,
            "chunk": default_pipeline(self.device)[1],
            "key": self.tool.settings_key(),
        }

    def run(
        self, items: list[tuple[str, str]], max_pixels: int
    ) -> list[tuple[str, ItemFailure | None, float, dict | None]]:
        from latent_studio.app.core.device import configure_torch_threads

        configure_torch_threads()  # per thread (denormals)
        results = process_items(self.tool, [(Path(s), Path(t)) for s, t in items], max_pixels)
        return [(r.status, r.failure, r.seconds, r.record) for r in results]  # record: the done-log line


def connect(address: str | None) -> bool:
    """Start a local Ray runtime (address None) or join the cluster at `address`; True if this call started
    Ray (and so should shut it down). An unreachable cluster is a LatentStudioError, never a long hang."""
    try:
        import ray
    except ImportError:
        raise LatentStudioError(f"The Ray engine needs Ray: {INSTALL_HINT}.") from None
    if ray.is_initialized():  # a caller (a test, a notebook) already joined a cluster: use it
        return False
    if address and address != "auto":
        check_address(address)
    try:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
        else:
            ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    except Exception as error:  # noqa: BLE001 -- ConnectionError, TimeoutError, RuntimeError, ValueError: one line
        where = f"the Ray cluster at {address}" if address else "a local Ray runtime"
        raise LatentStudioError(f"Cannot start or join {where}: {_first_line(error)}") from None
    return True


def check_address(address: str, timeout: float = 5.0) -> None:
    """Raise a one-line LatentStudioError unless something listens at `address` (HOST[:PORT] or ray://HOST:PORT)."""
    host_port = address.removeprefix("ray://")
    host, _, port = host_port.rpartition(":") if ":" in host_port else (host_port, "", str(DEFAULT_PORT))
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise LatentStudioError(
            f"The Ray address '{address}' is not HOST:PORT (e.g. 10.0.0.5:6379, as `ray start --head` prints)."
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise LatentStudioError(
            f"Cannot reach the Ray cluster at {address}: {reason} (start one with `ray start --head`, "
            f"or leave out the address for a local Ray runtime)."
        ) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _last_line(error: BaseException) -> str:
    """The raised exception's own message at the end of a remote traceback ("module.Error: message")."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    last = lines[-1] if lines else type(error).__name__
    name, sep, message = last.partition(": ")
    return message if sep and name.replace(".", "").replace("_", "").isalnum() else last


@dataclass
class _Actor:
    handle: ActorHandle
    ready: object | None  # the describe() call until it answers
    info: dict = field(default_factory=dict)
    calls: dict = field(default_factory=dict)  # ObjectRef -> (call folder, [(source, target), ...])
    alone: bool = False  # running items that were in flight on a worker that died: nothing else beside them


class RayStats(TypedDict):
    """What faults cost in a run (`RayEngine.stats`)."""

    actors: int
    actors_ready_s: float  # until every actor had loaded its model
    actors_lost: int
    items_retried: int
    renamed: Counter[Path]  # renames into place per output (never above 1)


class RayEngine:
    """`engine(plan, tool, progress, pause)`: the same call and results as `run_batch`.

    `actors`: how many (default: one per GPU, else one per 2 CPUs of the cluster); `chunk`: items per call
    (default: the actor's device's, see `default_pipeline`). `stats` counts what faults cost: actors lost,
    items retried, and renames into place per output (never above 1)."""

    def __init__(
        self, recipe: ToolRecipe, address: str | None = None, actors: int | None = None, chunk: int | None = None
    ) -> None:
        self.recipe, self.address, self.actors, self.chunk = recipe, address, actors, chunk
        self.started_ray = connect(address)
        self.stats: RayStats = {
            "actors": 0,
            "actors_ready_s": 0.0,
            "actors_lost": 0,
            "items_retried": 0,
            "renamed": Counter(),
        }
        self._started = 0.0
        self._pool: list[_Actor] = []

    def busy_pids(self) -> list[int]:
        """Process ids of the actors with work in flight (for fault tests and debugging)."""
        return [actor.info["pid"] for actor in self._pool if actor.calls and actor.info]

    def __call__(
        self, plan: BatchPlan, tool, progress: Progress | None = None, pause: threading.Event | None = None
    ) -> Iterator[ItemResult]:
        import ray

        check_plan(plan, tool)
        self._started = time.perf_counter()
        progress = progress or Progress()
        options, out_dir = plan.options, plan.out_dir
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LatentStudioError(f"Cannot create the output folder {out_dir}: {error.strerror or error}.") from None
        staging = out_dir / STAGING
        shutil.rmtree(staging, ignore_errors=True)  # a killed driver's staged files: never renamed, so never outputs
        items = [(s, t) for s, t in plan.items if staging not in s.parents]  # (in place, recursive: not inputs)
        remove_stale_parts([target for _, target in items + plan.skipped])
        for source, target in plan.skipped:
            yield ItemResult(source, target, "skipped")
        if not items and not plan.refused:
            self._shutdown()
            return
        key = plan.key
        report, log = Report(out_dir / REPORT), DoneLog(out_dir)
        try:
            for refused in refused_results(plan):
                report.write(refused)
                yield refused
            if items:
                yield from self._run(ray, items, out_dir, staging, key, options, progress, pause, log, report)
        finally:
            for actor in self._pool:
                ray.kill(actor.handle)
            self._pool.clear()
            report.close()
            log.close()
            shutil.rmtree(staging, ignore_errors=True)
            self._shutdown()
        for problem in (report.error, log.error):  # every item ran; say once what could not be recorded
            if problem:
                raise LatentStudioError(problem)

    def _shutdown(self) -> None:
        if self.started_ray:
            import ray

            ray.shutdown()
            self.started_ray = False

    # --- the driver's loop ------------------------------------------------------------------------------------

    def _run(self, ray, items, out_dir, staging, key, options, progress, pause, log, report) -> Iterator[ItemResult]:
        count, resources, threads = self._layout(ray)
        self.stats["actors"] = count
        actor_class = ray.remote(BatchWorker).options(max_concurrency=IN_FLIGHT, max_restarts=0, **resources)

        def spawn() -> None:
            handle = actor_class.remote(self.recipe, threads)
            self._pool.append(_Actor(handle, handle.describe.remote()))

        for _ in range(count):
            spawn()
        queue: deque[tuple[Path, Path]] = deque(items)
        deaths: Counter[tuple[Path, Path]] = Counter()  # item -> calls it was in when a worker died
        total, finished, spares = len(items), 0, count + 2 * len(items)
        while queue or any(actor.calls for actor in self._pool):
            progress.check()
            paused = pause is not None and pause.is_set()
            if not paused:
                self._dispatch(queue, deaths, staging, out_dir, options.max_pixels)
            waiting = [a.ready for a in self._pool if a.ready is not None] + [r for a in self._pool for r in a.calls]
            if not waiting:
                raise LatentStudioError("No Ray worker is left to run the batch.")
            ready, _ = ray.wait(waiting, num_returns=1, timeout=0.2)
            for ref in ready:
                actor = next(a for a in self._pool if a.ready == ref or ref in a.calls)
                if actor.ready == ref and self._on_ready(ray, actor, key):
                    continue
                lost: list[list[tuple[Path, Path]]] = []  # the chunks of the calls a dead worker had
                if actor.ready is None:
                    folder, chunk = actor.calls.pop(ref)
                    actor.alone = False
                    try:
                        outcomes = ray.get(ref)
                    except ray.exceptions.RayActorError:
                        lost = [chunk]
                if actor.ready is not None or lost:  # the worker died (or vanished): its calls go back to the queue
                    lost += [c for _, c in actor.calls.values()]
                    ray.kill(actor.handle)  # if it only vanished, it must not come back to write
                    self._pool.remove(actor)
                    self.stats["actors_lost"] += 1
                    for item in (item for c in lost for item in c):
                        deaths[item] += 1
                        if deaths[item] >= 2 and len(lost) == 1 and len(lost[0]) == 1:
                            source, target = item
                            failed = ItemResult(
                                source,
                                target,
                                "failed",
                                ItemFailure(
                                    source,
                                    "The Ray worker died twice while processing this item (killed, out of "
                                    "memory, or a crash in a decoder).",
                                    "worker",
                                ),
                            )
                            report.write(failed)
                            finished += 1
                            yield failed
                        else:
                            queue.appendleft(item)
                            self.stats["items_retried"] += 1
                    if spares > 0:
                        spares -= 1
                        spawn()
                    continue
                for (source, target), (status, failure, seconds, record) in zip(chunk, outcomes, strict=True):
                    result = self._commit(source, target, folder, out_dir, status, failure, seconds, record)
                    if result.status == "done":
                        log.append(target.relative_to(out_dir), record)
                    report.write(result)
                    finished += 1
                    yield result
                shutil.rmtree(folder, ignore_errors=True)
            progress.report(finished / total, f"{finished}/{total}")

    def _layout(self, ray) -> tuple[int, dict, int]:
        """(actors, Ray resources of each, torch threads of each) from the cluster's CPUs and GPUs."""
        resources = ray.cluster_resources()
        cpus, gpus = int(resources.get("CPU", 1)), resources.get("GPU", 0)
        wants_cpu = self.recipe.device == "cpu"
        if self.recipe.device.startswith("cuda") and not gpus:
            raise LatentStudioError(f"--device {self.recipe.device}: the Ray cluster has no GPU.")
        if gpus and not wants_cpu:
            count = self.actors or max(1, int(gpus))
            return count, {"num_gpus": min(1.0, gpus / count), "num_cpus": 1}, 1
        count = self.actors or max(1, cpus // 2)
        per = max(1, cpus // count)
        return count, {"num_cpus": per, "num_gpus": 0}, per

    def _on_ready(self, ray, actor: _Actor, key: str) -> bool:
        """An actor answered describe(): True if it is ready, False if it died while starting (a loss); its
        own error while making the tool (a missing model on that node, say) stops the batch."""
        try:
            actor.info = ray.get(actor.ready)
        except ray.exceptions.RayActorError as error:
            if error.actor_init_failed:
                raise LatentStudioError(f"A Ray worker could not start: {_last_line(error)}") from None
            return False
        actor.ready = None
        if not self.stats["actors_ready_s"] and all(a.ready is None for a in self._pool):
            self.stats["actors_ready_s"] = time.perf_counter() - self._started  # model loads included
        if actor.info["key"] != key:
            raise LatentStudioError(
                f"The Ray worker on {actor.info['node']} would make other outputs ({actor.info['key']}) than this "
                f"machine ({key}): install the same Latent Studio and weights on every node."
            )
        return True

    def _dispatch(self, queue, deaths, staging: Path, out_dir: Path, max_pixels: int) -> None:
        """Hand out chunks to actors with room; items that were on a dying worker go alone, to an idle actor."""
        for actor in self._pool:
            while queue and actor.ready is None and not actor.alone and len(actor.calls) < IN_FLIGHT:
                suspect = deaths[queue[0]] > 0
                if suspect and actor.calls:
                    break
                size = 1 if suspect else self.chunk or actor.info["chunk"]
                chunk = [queue.popleft()]
                while queue and len(chunk) < size and not deaths[queue[0]]:
                    chunk.append(queue.popleft())
                folder = staging / uuid.uuid4().hex[:12]
                staged = [(str(source), str(folder / target.relative_to(out_dir))) for source, target in chunk]
                actor.calls[actor.handle.run.remote(staged, max_pixels)] = (folder, chunk)
                actor.alone = suspect

    def _commit(
        self,
        source: Path,
        target: Path,
        folder: Path,
        out_dir: Path,
        status: str,
        failure: ItemFailure | None,
        seconds: float,
        record: dict | None,
    ) -> ItemResult:
        """Rename a staged output to its final name (the only write under that name in this run)."""
        staged = folder / target.relative_to(out_dir)
        if status != "done":
            if failure is not None:  # the worker wrote to the staged name: the user knows the final one
                path = target if failure.path == staged else failure.path
                failure = ItemFailure(path, failure.reason.replace(str(staged), str(target)), failure.stage)
            return ItemResult(source, target, status, failure, seconds)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
        except OSError as error:
            return ItemResult(
                source,
                target,
                "failed",
                ItemFailure(target, f"Cannot write {target}: {error.strerror or error}.", "write"),
                seconds,
            )
        self.stats["renamed"][target] += 1
        return ItemResult(source, target, "done", None, seconds, record)


def ray_available() -> bool:
    """Whether Ray can be imported here, without importing it (the Batch dialog hides the choice otherwise)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None
