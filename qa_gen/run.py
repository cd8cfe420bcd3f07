"""A release run over many studies: the studies in parts (contiguous runs of the id list),
each part written by a worker (in this process, in worker processes, or as a Ray task),
a manifest that lets a stopped run resume without redoing finished parts, shards of a run
on other machines (`--shard i/n`), and the merge into one release.

    OUT/parts/run.json               what decides the release's bytes (ids, seed, options)
    OUT/parts/<start>-<end>/         a part (`qa_gen.parts`); complete once part.json is there

A part's files depend only on its studies and the run's settings, so a resumed, sharded or
Ray run merges into the same bytes as one uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from cxrkg.cypher.store import GraphStore, open_store
from cxrkg.qa_gen.export import ReleaseOptions, dataset_info
from cxrkg.qa_gen.generate import BATCH_SIZE, Judge, QAReport, collect_qa, gc_paused, judge_of
from cxrkg.qa_gen.parts import PartWriter, mark_done, merge_parts, read_done

PART_SIZE = 1000  # studies per part: what a stopped run may have to redo, and a Ray task
PARTS = "parts"
MANIFEST = "run.json"


class RunError(ValueError):
    """A run that cannot go on as asked (the message says why and what to do)."""


@dataclass
class RunOptions:
    """How a release run is carried out; none of it changes the release's bytes."""

    shard: tuple[int, int] | None = None  # (i, n): only the i-th of n shards, 1-based
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None  # None: a local Ray cluster (or the one already joined)
    resume: bool = False  # keep the complete parts of a stopped run in OUT/parts
    part_size: int = PART_SIZE
    keep_parts: bool = False  # keep OUT/parts after the merge


def parse_shard(text: str) -> tuple[int, int]:
    """`i/n` (1 <= i <= n) as (i, n)."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise RunError(f"--shard {text!r}: write it as i/n, e.g. 1/4 .. 4/4") from None
    if not 1 <= i <= n:
        raise RunError(f"--shard {text!r}: i must be between 1 and n (1/{n} .. {n}/{n})")
    return i, n


@dataclass(frozen=True)
class PartRange:
    """Positions [start, end) of the run's ordered study ids."""

    start: int
    end: int

    @property
    def name(self) -> str:
        return f"{self.start:09d}-{self.end:09d}"

    @property
    def size(self) -> int:
        return self.end - self.start


def plan_parts(studies: int, part_size: int) -> list[PartRange]:
    """The run's parts: the same for every shard, worker and machine."""
    return [
        PartRange(start, min(studies, start + part_size)) for start in range(0, studies, part_size)
    ]


def shard_parts(parts: list[PartRange], shard: tuple[int, int]) -> list[PartRange]:
    """The i-th of n contiguous, nearly equal runs of the parts."""
    i, n = shard
    return parts[(i - 1) * len(parts) // n : i * len(parts) // n]


def run_spec(
    ids: Sequence[str],
    *,
    seed: int,
    infer_absent: bool,
    judge: bool,
    release: ReleaseOptions,
    part_size: int,
) -> dict[str, Any]:
    """Everything a part's bytes depend on: parts of runs with equal specs fit together."""
    digest = hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()
    return {
        "studies": len(ids),
        "ids_sha256": digest,
        "part_size": part_size,
        "seed": seed,
        "infer_absent": infer_absent,
        "judge": judge,
        "longitudinal": release.longitudinal,
        "exports": list(release.exports),
    }


def fingerprint(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def _differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    diffs = [f"{k} {old.get(k)!r} then, {new.get(k)!r} now" for k in new if old.get(k) != new[k]]
    if "ids_sha256" in [k for k in new if old.get(k) != new[k]]:
        diffs.append("(the studies differ: another --studies list, or the graph changed)")
    return "; ".join(diffs)


# -- QA reports as JSON (a part's record) --------------------------------------------------------
_COUNTS = ("studies", "questions", "answers", "written_to_graph", "sampled", "sampled_answered")


def report_json(report: QAReport) -> dict[str, Any]:
    return {
        **{k: getattr(report, k) for k in _COUNTS},
        "missing": report.missing,
        "refused": report.refused,
        "by_type": dict(report.by_type),
        "by_grade": dict(report.by_grade),
    }


def report_from_json(data: dict[str, Any]) -> QAReport:
    return QAReport(
        **{k: data[k] for k in _COUNTS},
        missing=list(data["missing"]),
        refused=list(data["refused"]),
        by_type=Counter(data["by_type"]),
        by_grade=Counter(data["by_grade"]),
    )


# -- one part ----------------------------------------------------------------------------------
@dataclass
class PartJob:
    """What a worker needs to write one part (picklable: it goes to processes and Ray)."""

    folder: Path
    part: PartRange
    ids: list[str]
    fingerprint: str
    seed: int
    infer_absent: bool
    judge: bool
    write_graph: bool
    batch_size: int
    release: ReleaseOptions = field(default_factory=ReleaseOptions)


def write_part(
    store: GraphStore,
    job: PartJob,
    workers: int = 1,
    judge: Judge | None = None,
    tick: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Generate the part's studies and write the part; returns its record (part.json). A
    folder left by a stopped run is emptied first."""
    started = time.perf_counter()
    if job.folder.exists():
        shutil.rmtree(job.folder)
    writer = PartWriter(job.folder, job.release)
    report = QAReport()
    collect_qa(
        store,
        job.ids,
        report,
        seed=job.seed,
        workers=workers,
        write_graph=job.write_graph,
        batch_size=job.batch_size,
        judge=judge if judge is not None else judge_of(job.judge, store),
        infer_absent=job.infer_absent,
        writer=writer,
        tick=tick,
    )
    record = {
        "fingerprint": job.fingerprint,
        "start": job.part.start,
        "end": job.part.end,
        "release": writer.finish(),
        "qa": report_json(report),
        "seconds": time.perf_counter() - started,
    }
    mark_done(job.folder, record)
    return record


_WORKER: dict[str, Any] = {}


def _process_start(settings: Any) -> None:
    _WORKER["store"] = open_store(settings, autostart=False, schema=False)


def _process_part(job: PartJob) -> dict[str, Any]:
    return write_part(_WORKER["store"], job)


def ray_part(settings: Any, job: PartJob) -> dict[str, Any]:
    """A Ray task: its own connection to the graph from the settings, one part written."""
    store = open_store(settings, autostart=False, schema=False)
    try:
        return write_part(store, job)
    finally:
        store.close()


# -- executors ---------------------------------------------------------------------------------
def _run_local(
    store: GraphStore,
    jobs: list[PartJob],
    workers: int,
    judge: Judge | None,
    bar: tqdm,
) -> list[dict[str, Any]]:
    if workers <= 1 or len(jobs) <= 1:
        # One part at a time here; a part's batches use the worker processes.
        return [write_part(store, job, workers, judge, bar.update) for job in jobs]
    if judge is not None and not isinstance(judge, bool):
        raise RunError("a judge object runs in this process only: use --workers 1 or judge=True")
    records = []
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_process_start,
        initargs=(store.settings,),
    )
    try:
        pending: dict[Future[dict[str, Any]], PartJob] = {
            pool.submit(_process_part, job): job for job in jobs
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                job = pending.pop(future)
                records.append(future.result())
                bar.update(job.part.size)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return records


def _run_ray(
    store: GraphStore, jobs: list[PartJob], address: str | None, bar: tqdm
) -> list[dict[str, Any]]:
    from cxrkg.ray_tasks import connect

    ray = connect(address)
    task = ray.remote(num_cpus=1, max_retries=2)(ray_part)
    refs = {task.remote(store.settings, job): job for job in jobs}
    records = []
    try:
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                job = refs.pop(ref)
                records.append(ray.get(ref))
                bar.update(job.part.size)
    except BaseException:
        for ref in refs:
            ray.cancel(ref, force=True)
        raise
    return records


# -- the run -----------------------------------------------------------------------------------
def read_manifest(parts_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((parts_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def unfinished_run(out: Path) -> str | None:
    """What an earlier, stopped run left in `out` (None: nothing)."""
    parts_dir = Path(out) / PARTS
    manifest = read_manifest(parts_dir)
    if manifest is None or manifest.get("merged"):
        return None
    done = sum(1 for p in parts_dir.iterdir() if p.is_dir() and read_done(p))
    total = len(plan_parts(manifest["spec"]["studies"], manifest["spec"]["part_size"]))
    return f"{done:,} of {total:,} parts of {manifest['spec']['studies']:,} studies"


def write_release(
    store: GraphStore,
    ids: list[str],
    out: Path,
    *,
    seed: int = 0,
    workers: int = 1,
    write_graph: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    judge: Judge | bool | None = None,
    infer_absent: bool = True,
    release: ReleaseOptions | None = None,
    run: RunOptions | None = None,
) -> QAReport:
    """QA for `ids` written as a release in `out` (see the module's docstring)."""
    started = time.perf_counter()
    run = run or RunOptions()
    release = release or ReleaseOptions(seed=seed, progress=progress)
    if run.part_size < 1:
        raise RunError(f"part size {run.part_size}: give at least 1 study per part")
    spec = run_spec(
        ids,
        seed=seed,
        infer_absent=infer_absent,
        judge=judge is not None and judge is not False,
        release=release,
        part_size=run.part_size,
    )
    key = fingerprint(spec)
    parts_dir = out / PARTS
    manifest = read_manifest(parts_dir)
    if manifest is not None and not run.resume and not run.shard:
        shutil.rmtree(parts_dir)  # a new run: what a stopped one left goes
        manifest = None
    if manifest is not None and manifest["spec"] != spec:
        raise RunError(
            f"{parts_dir} holds parts of another run ({_differences(manifest['spec'], spec)});"
            f" run with that run's settings to resume it, or delete {parts_dir} to start over"
        )
    if manifest is None:
        manifest = {
            "fingerprint": key,
            "spec": spec,
            # the merge's defaults (they change no part)
            "subsets": {"size": release.subset_size, "seed": release.seed},
            "dataset_info": dataset_info(store),
        }
        parts_dir.mkdir(parents=True, exist_ok=True)
        (parts_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")

    every = plan_parts(len(ids), run.part_size)
    mine = shard_parts(every, run.shard) if run.shard else every
    records: dict[PartRange, dict[str, Any]] = {}
    for part in mine:
        record = read_done(parts_dir / part.name)
        # Without --resume a shard redoes its own parts, and leaves the other shards' alone.
        if run.resume and record is not None and record.get("fingerprint") == key:
            records[part] = record
    kept = len(records)
    jobs = [
        PartJob(
            parts_dir / part.name,
            part,
            ids[part.start : part.end],
            key,
            seed,
            infer_absent,
            judge is not None and judge is not False,
            write_graph,
            batch_size,
            release,
        )
        for part in mine
        if part not in records
    ]
    bar = tqdm(
        total=sum(p.size for p in mine),
        initial=sum(p.size for p in records),
        unit="study",
        desc="qa",
        disable=not progress,
        smoothing=0.05,
    )
    try:
        if run.executor == "ray":
            if judge is not None and not isinstance(judge, bool):
                raise RunError("with --executor ray the judge is made by each task: judge=True")
            new = _run_ray(store, jobs, run.ray_address, bar)
        else:
            local_judge = None if isinstance(judge, bool) or judge is None else judge
            new = _run_local(store, jobs, workers, local_judge, bar)
    finally:
        bar.close()
    for record in new:
        records[PartRange(record["start"], record["end"])] = record

    report = QAReport(out_dir=out, parts=len(mine), parts_kept=kept)
    for part in mine:
        report.add(report_from_json(records[part]["qa"]))
    report.fresh_questions = sum(r["qa"]["questions"] for r in new)
    if run.shard and len(mine) < len(every):
        report.next_step = (
            f"shard {run.shard[0]}/{run.shard[1]} done ({len(mine):,} of {len(every):,} parts);"
            f" when every shard is done: cxrkg qa merge {out} [OTHER_SHARD_OUTS...] --out RELEASE"
        )
    else:
        with gc_paused():
            report.release = merge_parts(
                [parts_dir / p.name for p in every],
                [records[p]["release"] for p in every],
                out,
                release,
                manifest["dataset_info"],
            )
        report.release.refused = report.refused
        if run.keep_parts:
            manifest["merged"] = True  # kept, but no stopped run to resume
            (parts_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
        else:
            shutil.rmtree(parts_dir)
    report.seconds = time.perf_counter() - started
    return report


def merge_release(
    sources: Sequence[Path],
    out: Path,
    *,
    subset_size: int | None = None,
    subset_seed: int | None = None,
    progress: bool = False,
) -> QAReport:
    """One release in `out` from the parts that shards wrote under `sources` (each an `--out`
    of `qa generate --shard`, holding `parts/`): every part of the run must be there once.
    The random subsets are drawn as the run said unless `subset_size` / `subset_seed` say."""
    started = time.perf_counter()
    manifests = []
    for src in sources:
        manifest = read_manifest(Path(src) / PARTS)
        if manifest is None:
            raise RunError(f"{src}: no {PARTS}/{MANIFEST}: not the --out of a `qa generate` run")
        manifests.append((Path(src), manifest))
    first_src, first = manifests[0]
    for src, manifest in manifests[1:]:
        if manifest["spec"] != first["spec"]:
            raise RunError(
                f"{src} and {first_src} hold parts of different runs"
                f" ({_differences(first['spec'], manifest['spec'])})"
            )
        if manifest["dataset_info"] != first["dataset_info"]:
            raise RunError(
                f"{src} and {first_src} were made from graphs with different value sets"
                " (dataset_info differs): the shards did not read the same graph"
            )
    spec, key = first["spec"], first["fingerprint"]
    subsets = first.get("subsets", {})
    release = ReleaseOptions(
        longitudinal=spec["longitudinal"],
        exports=tuple(spec["exports"]),
        subset_size=subset_size or subsets.get("size", ReleaseOptions.subset_size),
        seed=subsets.get("seed", spec["seed"]) if subset_seed is None else subset_seed,
        progress=progress,
    )
    every = plan_parts(spec["studies"], spec["part_size"])
    found: dict[PartRange, tuple[Path, dict[str, Any]]] = {}
    for src, _ in manifests:
        for part in every:
            if part in found:
                continue
            record = read_done(src / PARTS / part.name)
            if record is not None and record.get("fingerprint") == key:
                found[part] = (src / PARTS / part.name, record)
    missing = [p for p in every if p not in found]
    if missing:
        names = ", ".join(p.name for p in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise RunError(
            f"{len(missing):,} of {len(every):,} parts are not complete in"
            f" {', '.join(str(s) for s, _ in manifests)}: {names}; run the shards that write"
            " them (or the same command with --resume) first"
        )
    report = QAReport(out_dir=out, parts=len(every))
    for part in every:
        report.add(report_from_json(found[part][1]["qa"]))
    report.fresh_questions = 0
    with gc_paused():
        report.release = merge_parts(
            [found[p][0] for p in every],
            [found[p][1]["release"] for p in every],
            out,
            release,
            first["dataset_info"],
        )
    report.release.refused = report.refused
    report.seconds = time.perf_counter() - started
    return report
