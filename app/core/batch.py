"""Batch processing of a folder: a generator of per-item results that one bad file never stops.

Pipeline (each stage overlaps the others):
1. plan: list the images under IN_DIR, mirror each onto OUT_DIR (inputs that would share an output name are
   told apart, see `output_names`), skip outputs already done for an unchanged source with the same settings
   (the done-log in OUT_DIR makes a re-run resume where a killed run stopped);
2. decode in a thread pool, a bounded number of items ahead of the model;
3. run the tool on chunks of up to `batch_size` pictures (tools batch same-size tensors on the device);
4. encode + write in a thread pool, atomically (temporary file, then rename), then append to the done-log
   the source's size and mtime as they were when it was read (a source replaced meanwhile is redone next time).
A failure of one item (unreadable, too large, deleted meanwhile, a tool error, a full disk) becomes a "failed"
result carrying an `ItemFailure` (path, reason, stage), and is written to the CSV report; the batch goes on.
`run_batch(plan, tool, progress, pause)` runs a `plan_batch` plan, which carries the folders, the options and the
settings key of the tool it was made for. What must hold before any item
runs (the folders, the report) is checked up front and raised as one LatentStudioError.

With `allow_in_place` and OUT_DIR == IN_DIR, each picture is replaced by its result, atomically, in its own
file and format (the done-log then records the written file, so a re-run does not process a result again).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from latent_studio.app.core.imageio import DEFAULT_MAX_PIXELS, WRITE_FORMATS, Picture, load_source, save_image
from latent_studio.app.core.jobs import COMPUTE_LOCK, Progress
from latent_studio.models.errors import Cancelled, LatentStudioError

READ_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
DONE_LOG = ".latent-studio-done.jsonl"
REPORT = "latent-studio-report.csv"
FORMATS = ("same", "png", "jpg", "webp", "tif")


class BatchTool(Protocol):
    """What the engine needs from a tool (colorize, sketch, edit).

    Two optional stages let a tool keep per-picture, full-resolution work off the thread that runs the
    network (on a GPU that thread is what bounds the rate): `prepare(picture)`, if the tool has it, runs in
    the decode threads and its result is what `process` receives; and `process` may return, instead of a
    Picture, a callable that makes it, which runs in the encode threads just before the write.
    """

    name: str

    def settings_key(self) -> str:
        """A string that changes whenever the output would change (resume redoes items whose key differs)."""

    def process(self, pictures: list, progress: Progress) -> list:
        """Process a chunk (pictures, or what `prepare` made of them) -> Pictures or callables returning one.

        May raise, in which case the engine retries the items one by one."""


def default_pipeline(device_type: str) -> tuple[int, int]:
    """(decode/encode threads, images per forward pass) for a device kind ("cuda", "cpu", ...).

    Beside a GPU, 6 threads (fewer on a smaller CPU) and chunks of 16. More threads decode and encode faster
    without a model, but the threads also move pictures to and from the device and queue for it there, so
    from 4 to 8 threads the engine is about as fast (measured on an H100 with 16 cores, 200 mixed photos,
    engine vs naive loop of the same run: 4 threads x2.48-3.14 in six runs, 6 threads x2.71-3.28 in three,
    8 threads x2.30-2.94 in six); 6 sits in the middle of that plateau.
    On a CPU the network already uses every core, so 2 threads keep the disk and codecs busy without stealing
    its cores, and pictures go through the network one at a time: batching them is slower there (measured on
    2 cores, 24 mixed photos: chunks of 8 ran at 0.8x the speed of chunks of 1; the tensors outgrow the caches).
    """
    if device_type == "cuda":
        return max(2, min(6, os.cpu_count() or 2)), 16
    return 2, 1


@dataclass(frozen=True)
class BatchOptions:
    recursive: bool = False
    output_format: str = "same"
    overwrite: bool = False
    allow_in_place: bool = False
    workers: int = 2
    batch_size: int = 8
    max_pixels: int = DEFAULT_MAX_PIXELS


STAGES = ("plan", "read", "process", "write", "worker")


@dataclass(frozen=True)
class ItemFailure:
    """Why one item failed: the file concerned, the reason as the report and the user see it, and the stage
    ("plan": refused before running, "read": decode or the tool's prepare, "process": the tool, "write": finish,
    encode or rename, "worker": a distributed engine's worker died on it)."""

    path: Path
    reason: str
    stage: str

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"unknown batch stage {self.stage!r} (one of {', '.join(STAGES)})")


@dataclass
class ItemResult:
    source: Path
    output: Path
    status: str  # "done", "skipped" or "failed"
    failure: ItemFailure | None = None  # failed items only
    seconds: float = 0.0
    record: dict | None = None  # done items: their done-log record (see done_record)

    @property
    def error(self) -> str:
        """The failure's reason ("" unless failed): the report's error column."""
        return self.failure.reason if self.failure is not None else ""


@dataclass
class BatchPlan:
    """What one run does: the folders and options it was planned with, the settings key of the tool it was
    planned for (what the done-log records; `run_batch` refuses a tool with another key), and the items."""

    in_dir: Path
    out_dir: Path
    options: BatchOptions = field(default_factory=BatchOptions)
    key: str = ""  # the tool's settings_key()
    items: list[tuple[Path, Path]] = field(default_factory=list)  # (source, output) to process
    skipped: list[tuple[Path, Path]] = field(default_factory=list)  # already done
    refused: list[tuple[Path, Path, str]] = field(default_factory=list)  # (source, output, reason): reported failed

    @property
    def total(self) -> int:
        """Every input the run reports on (processed, skipped or refused)."""
        return len(self.items) + len(self.skipped) + len(self.refused)


def output_path(source: Path, in_dir: Path, out_dir: Path, output_format: str) -> Path:
    """Mirror `source` from in_dir onto out_dir; with a format other than "same", change the extension.

    The plain name: `output_names` tells apart inputs that would share it."""
    relative = source.relative_to(in_dir)
    if output_format == "same":
        suffix = source.suffix.lower()
        if suffix not in WRITE_FORMATS:  # .bmp, .gif: written as PNG
            suffix = ".png"
    else:
        suffix = "." + output_format
    return out_dir / relative.with_suffix(suffix)


def output_names(
    sources: list[Path], in_dir: Path, out_dir: Path, output_format: str
) -> tuple[list[tuple[Path, Path]], list[tuple[Path, Path, str]]]:
    """Each source's output, never one output for two sources: ([(source, output)], [(source, output, reason)]).

    Where sources would share an output name (`a.jpg` and `a.png` with format png, `c.gif` and `c.png`), the
    source already named like the output keeps the plain name and the others add the output's extension to
    their full name (`a.jpg.png`, `c.gif.png`). A source whose output still meets another's (an input really
    called `a.jpg.png`) is refused with its reason instead of overwriting it.
    """
    plain = {source: output_path(source, in_dir, out_dir, output_format) for source in sources}
    claims: dict[str, int] = {}
    for target in plain.values():
        claims[_fold(target)] = claims.get(_fold(target), 0) + 1
    targets = {
        source: target
        if claims[_fold(target)] == 1 or source.name == target.name
        else target.with_name(source.name + target.suffix)
        for source, target in plain.items()
    }
    owners: dict[str, Path] = {}
    named, refused = [], []
    for source in sorted(sources, key=lambda s: (targets[s].name != s.name, s)):  # plain names claim first
        target = targets[source]
        owner = owners.setdefault(_fold(target), source)
        if owner == source:
            named.append((source, target))
        else:
            refused.append(
                (
                    source,
                    target,
                    f"{source.name} was not processed: its output {target.name} "
                    f"would also be the output of {owner.name}; rename one of them.",
                )
            )
    return sorted(named), refused


def _fold(path: Path) -> str:
    """The name as the file system compares it (case-folded where it ignores case)."""
    return os.path.normcase(str(path))


def check_output_folder(out_dir: Path) -> None:
    """Raise one LatentStudioError unless `out_dir` is, or can be created as, a folder we may write into.

    Creates nothing (a bad option found later must leave no empty folder behind); run_batch creates it.
    """
    out_dir = Path(out_dir).absolute()
    existing = out_dir
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        if existing == out_dir:
            raise LatentStudioError(f"The output folder {out_dir} is a file, not a folder.")
        raise LatentStudioError(f"The output folder {out_dir} cannot be created: {existing} is a file.")
    if _read_only(existing):
        raise LatentStudioError(
            f"The output folder {out_dir} cannot be written: {existing} is on a read-only file system."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise LatentStudioError(
            f"The output folder {out_dir} cannot be written: {existing} is not writable (permission denied)."
        )


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # no statvfs (Windows): the writes themselves will say
        return False


def check_folders(in_dir: Path, out_dir: Path, options: BatchOptions) -> None:
    """Raise one LatentStudioError for an unusable folder pair or options (cheap: callers run it before loading
    a model; `plan_batch` runs it again)."""
    in_dir, out_dir = Path(in_dir).resolve(), Path(out_dir).resolve()
    if not in_dir.is_dir():
        raise LatentStudioError(f"The input folder {in_dir} does not exist.")
    if options.output_format not in FORMATS:
        raise LatentStudioError(f"Unknown output format '{options.output_format}': use one of {', '.join(FORMATS)}.")
    in_place = out_dir == in_dir
    if in_place and not options.allow_in_place:
        raise LatentStudioError(
            f"The output folder is the input folder ({in_dir}); choose another folder, "
            "or allow writing into the input folder explicitly."
        )
    if in_place and options.output_format != "same":
        raise LatentStudioError(
            "Writing into the input folder replaces each picture in its own file and format; "
            f"the output format must be 'same', not '{options.output_format}'."
        )
    check_output_folder(out_dir)


def list_sources(in_dir: Path, out_dir: Path, recursive: bool = False) -> list[Path]:
    """The files a batch of `in_dir` into `out_dir` reads, sorted: every image name (not only regular files: a FIFO
    or a device named like an image is reported, not skipped), an output tree inside `in_dir` left out."""
    in_dir, out_dir = Path(in_dir).resolve(), Path(out_dir).resolve()
    inside = out_dir == in_dir or in_dir in out_dir.parents
    in_place = out_dir == in_dir
    return sorted(
        p
        for p in in_dir.glob("**/*" if recursive else "*")
        if not p.is_dir()
        and p.suffix.lower() in READ_SUFFIXES
        and not (inside and not in_place and out_dir in p.parents)
    )


def replaceable_in_place(source: Path) -> bool:
    """Whether an in-place batch replaces `source` (a format Latent Studio writes), else reports it."""
    return source.suffix.lower() in WRITE_FORMATS


def plan_batch(in_dir: Path, out_dir: Path, tool: BatchTool, options: BatchOptions = BatchOptions()) -> BatchPlan:
    """Decide what to process with `tool` (the plan records its settings key); raise LatentStudioError for an
    unusable folder pair."""
    check_folders(in_dir, out_dir, options)
    in_dir, out_dir = Path(in_dir).resolve(), Path(out_dir).resolve()
    key = tool.settings_key()
    in_place = out_dir == in_dir
    sources = list_sources(in_dir, out_dir, options.recursive)
    plan = BatchPlan(in_dir, out_dir, options, key)
    if in_place:
        named = [(source, source) for source in sources if replaceable_in_place(source)]
        plan.refused = [
            (
                source,
                source,
                f"{source.name} cannot be replaced in place: Latent Studio does not write "
                f"{source.suffix.lower()} files; write the results into another folder instead.",
            )
            for source in sources
            if not replaceable_in_place(source)
        ]
    else:
        named, plan.refused = output_names(sources, in_dir, out_dir, options.output_format)
    done = read_done_log(out_dir)
    for source, target in named:
        if not options.overwrite and (in_place or target.exists()):
            record = done.get(str(target.relative_to(out_dir)))
            if record is not None and _unchanged(record, source, key, in_place):
                plan.skipped.append((source, target))
                continue
            if record is None and not in_place:  # never clobber a file we did not write, unless --overwrite
                plan.skipped.append((source, target))
                continue
        plan.items.append((source, target))
    return plan


def _unchanged(record: dict, source: Path, key: str, in_place: bool) -> bool:
    """Whether a done-log record still describes `source`: the same settings and the source as it was read
    (in place: as it was written, since the result replaced it)."""
    try:
        now = _file_state(source.stat())
    except OSError:  # gone since the listing: planned, then reported as that item's failure
        return False
    seen = record.get("written") if in_place else record
    return record.get("settings") == key and isinstance(seen, dict) and all(seen.get(k) == v for k, v in now.items())


def check_plan(plan: BatchPlan, tool: BatchTool) -> None:
    """Raise a LatentStudioError unless `plan` was made for a tool with `tool`'s settings (the done-log would
    record settings the outputs were not made with)."""
    key = tool.settings_key()
    if key != plan.key:
        raise LatentStudioError(
            f"The batch plan was made for other settings ({plan.key}) than the tool's ({key}); "
            "plan again with this tool."
        )


def start_run(plan: BatchPlan) -> None:
    """Create the output folder and remove what a killed run left beside the outputs (every engine, first)."""
    try:
        plan.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LatentStudioError(f"Cannot create the output folder {plan.out_dir}: {error.strerror or error}.") from None
    remove_stale_parts([target for _, target in plan.items + plan.skipped])


def refused_results(plan: BatchPlan) -> list[ItemResult]:
    """The plan's refused items as failed results (stage "plan")."""
    return [
        ItemResult(source, target, "failed", ItemFailure(source, reason, "plan"))
        for source, target, reason in plan.refused
    ]


def run_batch(
    plan: BatchPlan, tool: BatchTool, progress: Progress | None = None, pause: threading.Event | None = None
) -> Iterator[ItemResult]:
    """Process `plan` (see `plan_batch`: its folders, options and items) with `tool`, yielding one ItemResult per
    image (skipped ones first). `pause`, while set, holds the run between chunks."""
    check_plan(plan, tool)
    progress = progress or Progress()
    options, out_dir, key = plan.options, plan.out_dir, plan.key
    start_run(plan)
    for source, target in plan.skipped:
        yield ItemResult(source, target, "skipped")
    total = len(plan.items)
    if total == 0 and not plan.refused:
        return
    report = Report(out_dir / REPORT)
    log = DoneLog(out_dir)
    for refused in refused_results(plan):
        report.write(refused)
        yield refused
    reads: dict[Path, dict] = {}  # output -> its source's state as it was read
    finished = 0
    with ThreadPoolExecutor(options.workers, thread_name_prefix="batch-io") as pool:
        loads: deque[tuple[Path, Path, Future, float]] = deque()
        saves: deque[tuple[Path, Path, Future, float]] = deque()
        pending = iter(plan.items)

        def fill() -> None:
            while len(loads) < 2 * options.batch_size:
                item = next(pending, None)
                if item is None:
                    return
                source, target = item
                loads.append(
                    (source, target, pool.submit(_load, tool, source, options.max_pixels), time.perf_counter())
                )

        def drain_saves(block: bool) -> Iterator[ItemResult]:
            nonlocal finished
            while saves and (block or saves[0][2].done()):
                source, target, future, started = saves.popleft()
                result = _settle(source, target, future, started)
                if result.status == "done":
                    result.record = done_record(reads.pop(target), key, future.result())
                    log.append(target.relative_to(out_dir), result.record)
                report.write(result)
                finished += 1
                yield result

        try:
            fill()
            while loads:
                if pause is not None:
                    while pause.is_set():
                        progress.check()
                        time.sleep(0.05)
                progress.check()
                chunk: list[tuple[Path, Path, object, float]] = []
                while loads and len(chunk) < options.batch_size:
                    source, target, future, started = loads.popleft()
                    try:
                        loaded, reads[target] = future.result()
                        chunk.append((source, target, loaded, started))
                    except LatentStudioError as error:
                        failed = ItemResult(
                            source,
                            target,
                            "failed",
                            ItemFailure(source, str(error), "read"),
                            time.perf_counter() - started,
                        )
                        report.write(failed)
                        finished += 1
                        yield failed
                fill()
                for source, target, result, started in _process_chunk(tool, chunk, progress):
                    if isinstance(result, ItemFailure):
                        failed = ItemResult(source, target, "failed", result, time.perf_counter() - started)
                        report.write(failed)
                        finished += 1
                        yield failed
                    else:
                        saves.append((source, target, pool.submit(_save, tool, result, target), started))
                yield from drain_saves(block=len(saves) > 2 * options.batch_size)
                progress.report(finished / total, f"{finished}/{total}")
            yield from drain_saves(block=True)
        finally:
            for _, _, future, _ in loads:
                future.cancel()
            for _, target, future, _ in saves:  # let started writes finish: they are atomic
                with contextlib.suppress(LatentStudioError):
                    log.append(target.relative_to(out_dir), done_record(reads[target], key, future.result()))
            report.close()
            log.close()
    for problem in (report.error, log.error):  # every item ran; say once what could not be recorded
        if problem:
            raise LatentStudioError(problem)


def process_items(
    tool: BatchTool,
    items: list[tuple[Path, Path]],
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress: Progress | None = None,
) -> list[ItemResult]:
    """One chunk of (source, output) through the engine's stages in the calling thread: decode (+ prepare), the
    tool, finish + atomic write; a failure is only its item's. Results in the items' order.

    For engines that hand chunks to other processes (app.core.batch_ray); the caller keeps the done-log and
    the report, as `run_batch` does: a done item's `record` is the line for the done-log."""
    progress = progress or Progress()
    results: dict[Path, ItemResult] = {}
    reads: dict[Path, dict] = {}
    chunk = []
    key = tool.settings_key()
    for source, target in items:  # 1. decode (+ the tool's prepare stage)
        started = time.perf_counter()
        try:
            loaded, reads[target] = _load(tool, source, max_pixels)
            chunk.append((source, target, loaded, started))
        except LatentStudioError as error:
            results[target] = ItemResult(
                source, target, "failed", ItemFailure(source, str(error), "read"), time.perf_counter() - started
            )
    for source, target, result, started in _process_chunk(tool, chunk, progress):  # 2. the network
        failure, record = result if isinstance(result, ItemFailure) else None, None
        if failure is None:  # 3. finish + write
            try:
                record = done_record(reads[target], key, _save(tool, result, target))
            except LatentStudioError as error:
                failure = ItemFailure(target, str(error), "write")
        results[target] = ItemResult(
            source, target, "failed" if failure else "done", failure, time.perf_counter() - started, record
        )
    return [results[target] for _, target in items]


def _load(tool: BatchTool, source: Path, max_pixels: int) -> tuple[object, dict]:
    """Decode-thread work: read the image, then the tool's `prepare` stage if it has one.

    Returns it with the source's state as read (`_file_state`), which is what the done-log records."""
    picture, status = load_source(source, max_pixels)
    prepare = getattr(tool, "prepare", None)
    if prepare is None:
        return picture, _file_state(status)
    return _as_item_error(tool, source, prepare, picture), _file_state(status)


def _save(tool: BatchTool, result, target: Path) -> dict:
    """Encode-thread work: finish the picture if the tool deferred that, then write it atomically.

    Returns the written file's state (`_file_state`)."""
    picture = result if isinstance(result, Picture) else _as_item_error(tool, target, result)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LatentStudioError(f"Cannot create the folder {target.parent}: {error.strerror or error}.") from None
    _as_item_error(tool, target, save_image, picture, target)  # save_image's own errors are already clear
    try:
        return _file_state(target.stat())
    except OSError:  # replaced or removed by someone else right after the write: nothing to trust next time
        return {}


def _as_item_error(tool: BatchTool, path: Path, function, *args):
    """Call `function`; any error becomes a LatentStudioError, i.e. this item's failure, never the batch's."""
    try:
        return function(*args)
    except (LatentStudioError, Cancelled):
        raise
    except Exception as error:
        raise LatentStudioError(_failure(tool, path, error)) from error


def _failure(tool: BatchTool, path: Path, error: Exception) -> str:
    """An item's reason in the report: a LatentStudioError says it itself; anything else is a tool bug, named."""
    if isinstance(error, LatentStudioError):
        return str(error)
    return f"{tool.name} failed on {path.name}: {type(error).__name__}: {error}"


def _process_chunk(tool: BatchTool, chunk: list, progress: Progress) -> list[tuple[Path, Path, object, float]]:
    """Run the tool on a chunk -> (source, target, output or ItemFailure, started) per item, in order; if the
    chunk fails, run its items one by one so only the bad item fails.

    A chunk of one that fails is that item's failure (running it again would only repeat the work). A tool that
    returns another number of outputs than it got pictures fails the chunk (no item goes unreported).
    """
    if not chunk:
        return []
    try:
        with COMPUTE_LOCK:  # one model job on the device at a time (the editor's jobs take turns with chunks)
            outputs = list(tool.process([picture for _, _, picture, _ in chunk], Progress(None, progress.token)))
        if len(outputs) != len(chunk):
            raise LatentStudioError(f"{tool.name} returned {len(outputs)} pictures for {len(chunk)}.")
        return [(s, t, out, st) for (s, t, _, st), out in zip(chunk, outputs, strict=True)]
    except Cancelled:
        raise
    except Exception as error:  # noqa: BLE001 -- a tool bug must not stop the batch either
        if len(chunk) == 1:
            source, target, _, started = chunk[0]
            return [(source, target, ItemFailure(source, _failure(tool, source, error), "process"), started)]
        return [result for item in chunk for result in _process_chunk(tool, [item], progress)]


def _settle(source: Path, target: Path, future: Future, started: float) -> ItemResult:
    try:
        future.result()
        return ItemResult(source, target, "done", None, time.perf_counter() - started)
    except LatentStudioError as error:
        return ItemResult(
            source, target, "failed", ItemFailure(target, str(error), "write"), time.perf_counter() - started
        )


def remove_stale_parts(targets: list[Path]) -> None:
    """Delete the temporary files (`.NAME.*.part`, see save_image) a killed run left beside our outputs.

    A write is atomic, but a kill between creating the temporary file and renaming it leaves the temporary
    file behind; the re-run owns these outputs, so it removes them (one listing per output folder).
    """
    names: dict[Path, set[str]] = {}
    for target in targets:
        names.setdefault(target.parent, set()).add(target.name)
    for folder, wanted in names.items():
        if not folder.is_dir():
            continue
        for part in folder.glob(".*.part"):
            if part.name[1:].rsplit(".", 2)[0] in wanted:
                part.unlink(missing_ok=True)


def _file_state(status: os.stat_result) -> dict:
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns}


def done_record(read: dict, key: str, written: dict) -> dict:
    """A done-log record: the source's state when it was read, the settings key, and the written output's
    state (what an in-place re-run compares the source with, since the output replaced it)."""
    return {**read, "settings": key, "written": written}


def read_done_log(out_dir: Path) -> dict[str, dict]:
    """Output path (relative) -> source record, from the append-only done-log (a torn last line is ignored)."""
    path = Path(out_dir) / DONE_LOG
    done: dict[str, dict] = {}
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
                done[entry["output"]] = entry["source"]
            except (ValueError, KeyError, TypeError):
                continue
    return done


class DoneLog:
    """Append-only, flushed per line: a kill loses at most the line being written.

    Opening it fails with a LatentStudioError (before any item runs); a later write error (a full disk) does
    not stop the batch: the first one is kept in `error`, for the caller to say once at the end."""

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / DONE_LOG
        self.error = ""
        self._handle = _open_for_writing(self.path, "a", "the batch done-log")
        self._lock = threading.Lock()

    def append(self, output: Path, record: dict) -> None:
        with self._lock:
            try:
                self._handle.write(json.dumps({"output": str(output), "source": record}) + "\n")
                self._handle.flush()
            except OSError as error:
                self.error = self.error or (
                    f"The batch done-log {self.path} could not be written ({error.strerror or error}); "
                    "the outputs are complete, but a re-run will not know which of them this run finished."
                )

    def close(self) -> None:
        _close_quietly(self._handle)


class Report:
    """The CSV report of this run: one row per processed or failed item (errors as in DoneLog)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.error = ""
        self._handle = _open_for_writing(self.path, "w", "the batch report")
        self._writer = csv.writer(self._handle)
        self._row(["source", "output", "status", "error", "seconds"])

    def write(self, result: ItemResult) -> None:
        self._row([result.source, result.output, result.status, result.error, f"{result.seconds:.3f}"])

    def _row(self, row: list) -> None:
        try:
            self._writer.writerow(row)
            self._handle.flush()
        except OSError as error:
            self.error = self.error or (
                f"The batch report {self.path} could not be written ({error.strerror or error}); "
                "it lacks some items (the outputs written are complete)."
            )

    def close(self) -> None:
        _close_quietly(self._handle)


def _open_for_writing(path: Path, mode: str, what: str):
    try:
        return open(path, mode, newline="" if mode == "w" else None, encoding="utf-8")
    except OSError as error:
        raise LatentStudioError(f"Cannot write {what} {path}: {error.strerror or error}.") from None


def _close_quietly(handle) -> None:
    with contextlib.suppress(OSError):  # the flush of a full disk: already recorded by the failed write
        handle.close()


def summarize(results: list[ItemResult], seconds: float) -> str:
    """The final line the CLI prints and the GUI shows."""
    counts = {status: sum(r.status == status for r in results) for status in ("done", "skipped", "failed")}
    rate = counts["done"] / seconds if seconds > 0 else 0.0
    return (
        f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed "
        f"in {seconds:.1f} s ({rate:.2f} images/s)"
    )
