"""The loader: SceneGraphs into the graph store, batched, idempotent, each study whole or not at all.

    report = ingest_qba(store, "scene_data.zip")
    report = load_scene_graphs(store, my_scene_graphs)
    print(report.summary())

A study whose content hash is already in the graph is skipped ("unchanged"; with
`verify=True` its stored subgraph is compared with the source first). A changed study has
its old subgraph replaced in the same statement that writes the new one.

Everything that would make a write statement fail is checked before the statement is
sent: values the graph cannot hold, keys (image ids, observation keys, ...) that another
study or the study itself already uses, and statements too big for the store's per-query
memory limit. FalkorDB rolls a failed statement's deletes back wrongly (restored nodes
get other ids and edges are re-attached to the wrong nodes; a second such failure
crashes the server), so a replace must never fail: such a study is refused by name and
nothing stored is touched.

Patients whose studies change are marked `link_pending` in the same statement that
writes the studies; their NEXT_STUDY chains and comparison links are rebuilt at the end of
a run, and a run that was cut short leaves the marks for the next one to finish.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cxrkg.cypher.queries import load_query
from cxrkg.cypher.store import (
    EncodedParams,
    GraphStore,
    StoreDiskFull,
    StoreError,
    StoreUnavailable,
)
from cxrkg.ingest.graph_rows import (
    CLAIMED,
    claims,
    duplicate_claim,
    invalid_text,
    merge_rows,
    study_rows,
    unstorable,
)
from cxrkg.ingest.model import IngestError, Notice, Rejected, SceneGraph

__all__ = ["IngestError", "IngestReport", "load_scene_graphs", "ingest_qba", "ingest_imagenome"]

# A write statement needs up to ~12x its encoded parameters in query memory (200 demo
# studies: 2.6 MB of parameters, 16-32 MB of memory); batches stay under 1/24 of the
# store's per-query limit, so a write never meets it.
_MEMORY_PER_PARAM_BYTE = 24
_LINK_CHUNK = 500  # patients relinked per statement


@dataclass
class IngestReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # loaded, but carrying what grades nothing (unknown quality keys): said, never dropped
    notices: list[Notice] = field(default_factory=list)
    repaired: list[tuple[str, str]] = field(default_factory=list)  # (study, first difference)
    seconds: float = 0.0
    source: str = ""

    @property
    def total(self) -> int:
        return len(self.loaded) + len(self.unchanged) + len(self.rejected)

    def summary(self) -> str:
        rate = len(self.loaded) / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"{self.source + ': ' if self.source else ''}{len(self.loaded):,} studies loaded,"
            f" {len(self.unchanged):,} unchanged, {len(self.rejected):,} rejected"
            f" in {self.seconds:.1f}s ({rate:,.0f} studies/s)"
        ]
        if self.repaired:
            lines.append(
                f"{len(self.repaired):,} stored studies differed from their source and were"
                " written again:"
            )
            lines += [f"  - {sid}: {why}" for sid, why in self.repaired[:20]]
            if len(self.repaired) > 20:
                lines.append(f"  ... and {len(self.repaired) - 20:,} more")
        if self.rejected:
            reasons = Counter(r.reason.split(":")[0] for r in self.rejected)
            lines.append("rejected:")
            lines += [f"  - {r.describe()}" for r in self.rejected[:50]]
            if len(self.rejected) > 50:
                lines.append(
                    f"  ... and {len(self.rejected) - 50:,} more; by reason: "
                    + ", ".join(f"{k} ({v})" for k, v in reasons.most_common(5))
                )
        if self.notices:
            studies = len({n.study_id for n in self.notices})
            lines.append(
                f"notices ({studies:,} studies; loaded as they are, but these keys grade"
                " nothing: check the spelling against quality_mappings.csv):"
            )
            lines += [f"  - {n.describe()}" for n in self.notices[:20]]
            if len(self.notices) > 20:
                lines.append(f"  ... and {len(self.notices) - 20:,} more")
        return "\n".join(lines)


Todo = list[tuple[SceneGraph, dict[str, list[dict[str, Any]]]]]


def load_scene_graphs(
    store: GraphStore | None,
    items: Iterable[SceneGraph | Rejected],
    *,
    strict: bool = False,
    progress: bool = True,
    limit: int | None = None,
    batch_size: int | None = None,
    total: int | None = None,
    source: str = "",
    verify: bool = False,
    bulk: bool = False,
    bulk_dir: str | Path | None = None,
) -> IngestReport:
    """Write scene graphs into the store and report what was loaded, unchanged or rejected.
    The ontology is mirrored into the graph first (when it is not, or is another version),
    so every study is linked to it as it is written.

    `verify`: compare each study whose hash is unchanged with what the graph holds, and
    write again (reported as repaired) those that differ.

    `bulk`: an initial load into an empty graph through the engine's importer
    (`ingest/bulk.py`): FalkorDB loads at once (CSV files kept in `bulk_dir` if given);
    for Neo4j (or no store) the import files and command are written to `bulk_dir`."""
    if bulk:
        from cxrkg.ingest import bulk as bulk_room

        if verify:
            raise IngestError("--verify compares stored studies; a bulk load has none to compare")
        options = {"strict": strict, "progress": progress, "limit": limit, "total": total}
        if store is None or store.backend == "neo4j":
            if bulk_dir is None:
                raise IngestError(
                    "a bulk load for Neo4j writes import files: say where with --bulk-dir DIR"
                )
            return bulk_room.write_bulk_files(items, bulk_dir, source=source, **options)
        return bulk_room.bulk_load(store, items, source=source, bulk_dir=bulk_dir, **options)
    if store is None:
        raise IngestError("no graph store to load into")
    from cxrkg.ontology.sync import ensure_synced, link_loaded

    ensure_synced(store)
    report = IngestReport(source=source)
    size = batch_size or store.settings.batch_size
    budget = _params_budget(store)
    started = time.perf_counter()
    bar = tqdm(
        total=min(total, limit) if total and limit else (limit or total),
        unit="study",
        desc=f"ingest {source}".strip(),
        disable=not progress,
        leave=False,
    )
    # One batch is written on a writer thread while the next is read, validated and
    # turned into rows: the server works on its own core and the socket wait releases
    # the GIL. A study id met again in this run waits for the write in flight first.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cxrkg-writer")
    pending: Future[None] | None = None
    seen: set[str] = set()

    def submit(batch: list[SceneGraph]) -> None:
        nonlocal pending
        ids = {sg.study_id for sg in batch}
        if pending is not None and not ids.isdisjoint(seen):
            pending.result()
        seen.update(ids)
        todo = _prepare(batch, report, strict)
        bar.update(len(batch) - len(todo))
        for part, encoded in _fit(store, todo, budget, report, strict):
            if pending is not None:
                pending.result()

            def work(part: Todo = part, encoded: EncodedParams | None = encoded) -> None:
                # The checks read the graph, so they run here: a read from the main thread
                # would wait on the graph lock held by the write in flight.
                todo, hashes = _skip_unchanged(store, part, report, verify)
                todo = _refuse_clashes(store, todo, hashes, report, strict)
                whole = encoded if len(todo) == len(part) else None
                _commit(store, todo, hashes, report, strict, whole)
                bar.update(len(part))

            pending = writer.submit(work)

    try:
        with _one_loader_at_a_time(store):
            batches = _accepted_batches(
                items, limit=limit, size=size, report=report, strict=strict, bar=bar
            )
            for batch in batches:
                submit(batch)
            if pending is not None:
                pending.result()
                pending = None
            linked = link_pending(store)
            for i in range(0, len(report.loaded), size):  # synonyms and other spellings
                link_loaded(store, report.loaded[i : i + size])
            if report.loaded or linked:
                store.bump_version()
    except StoreDiskFull as exc:
        raise IngestError(
            f"the graph store stopped accepting writes after {len(report.loaded):,} studies"
            f" were loaded: {exc}; what was loaded is kept, and the rerun finishes the rest"
        ) from exc
    except StoreUnavailable as exc:
        raise IngestError(
            f"the graph store stopped answering after {len(report.loaded):,} studies were"
            f" loaded ({exc}); what was loaded is kept: rerun the same command to finish"
        ) from exc
    finally:
        if pending is not None:  # an error on this side: let the write in flight finish
            with contextlib.suppress(Exception):
                pending.result()
        writer.shutdown(wait=True)
        bar.close()
        report.seconds = time.perf_counter() - started
    return report


_HELD: dict[tuple[str, int], int] = {}  # lock files this process holds, by thread


@contextlib.contextmanager
def _one_loader_at_a_time(store: GraphStore) -> Iterator[None]:
    """One loader per graph of a home at a time: the checks before a write stay true
    until the write (nothing else creates study nodes). The thread holding it may enter
    again (a bulk load writes its leftover studies through the transactional loader)."""
    home = store.settings.home
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in store.settings.graph)
    held = (str(home / f".ingest-{name}.lock"), threading.get_ident())
    if _HELD.get(held):
        _HELD[held] += 1
        try:
            yield
        finally:
            _HELD[held] -= 1
        return
    try:
        home.mkdir(parents=True, exist_ok=True)
        fh = open(held[0], "a")  # noqa: SIM115
    except OSError:  # a read-only home: nothing to coordinate with
        yield
        return
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            tqdm.write("another ingest into this graph is running: waiting for it to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
        _HELD[held] = 1
        try:
            yield
        finally:
            del _HELD[held]
            fcntl.flock(fh, fcntl.LOCK_UN)


def _accepted_batches(
    items: Iterable[SceneGraph | Rejected],
    *,
    limit: int | None,
    size: int,
    report: IngestReport,
    strict: bool,
    bar: Any,
) -> Iterator[list[SceneGraph]]:
    """The first `limit` items in batches of `size` scene graphs; a rejection goes into the
    report (counted on the bar), or stops a strict run."""
    batch: list[SceneGraph] = []
    for i, item in enumerate(items):
        if limit is not None and i >= limit:
            break
        if isinstance(item, Rejected):
            if strict:
                raise IngestError(f"rejected {item.describe()} (--strict stops at the first)")
            report.rejected.append(item)
            bar.update(1)
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _prepare(batch: list[SceneGraph], report: IngestReport, strict: bool) -> Todo:
    """The rows of each study of a batch, refusing what no write could store (no store
    access: runs beside the writer)."""
    # A study id seen twice in one batch: the later one wins, as a re-ingest would.
    unique = list({sg.study_id: sg for sg in batch}.values())
    todo: Todo = []
    for sg in unique:
        for where, key, value in sg.unknown_quality():
            report.notices.append(
                Notice(
                    file=sg.origin or "?",
                    study_id=sg.study_id,
                    field=f"{where}.{key}",
                    reason=f"unknown quality key {key!r} (value {value!r})",
                )
            )
        try:
            rows = study_rows(sg)
        except UnicodeEncodeError:
            why = invalid_text(sg.model_dump(mode="python")) or "text that is not valid Unicode"
            _reject(report, sg, f"cannot be written: {why}", strict)
            continue
        except (ValueError, TypeError) as exc:  # a value no graph property can hold
            _reject(report, sg, f"cannot be written: {exc}", strict)
            continue
        problem = duplicate_claim(sg, rows) or unstorable(rows)
        if problem:
            _reject(report, sg, f"cannot be written: {problem}", strict)
            continue
        todo.append((sg, rows))
    return todo


def _params_budget(store: GraphStore) -> int | None:
    """Largest encoded parameters of one write, from the store's per-query memory limit."""
    mb = store.settings.query_memory_mb if store.backend == "falkordb" else 0
    return mb * 2**20 // _MEMORY_PER_PARAM_BYTE if mb > 0 else None


def _fit(
    store: GraphStore, todo: Todo, budget: int | None, report: IngestReport, strict: bool
) -> Iterator[tuple[Todo, EncodedParams]]:
    """The batch in parts whose write fits the store's per-query memory, each encoded
    (here, so that the server never idles while the writer thread encodes)."""
    if not todo:
        return
    encoded = store.encode_params(merge_rows([rows for _, rows in todo]))
    if budget is None or encoded.text is None or len(encoded.text) <= budget:
        yield todo, encoded
        return
    if len(todo) == 1:
        sg = todo[0][0]
        _reject(
            report,
            sg,
            f"too large to write: {len(encoded.text) / 2**20:.1f} MB of properties need more"
            f" than the {store.settings.query_memory_mb} MB one query may use"
            " (raise CXRKG_QUERY_MEMORY_MB)",
            strict,
        )
        return
    half = len(todo) // 2
    yield from _fit(store, todo[:half], budget, report, strict)
    yield from _fit(store, todo[half:], budget, report, strict)


def _skip_unchanged(
    store: GraphStore, todo: Todo, report: IngestReport, verify: bool
) -> tuple[Todo, dict[str, str]]:
    """Drop the studies whose content hash is already in the graph (with `verify`, only
    those whose stored subgraph also equals what the source would write)."""
    hashes = {
        r["study_id"]: r["content_hash"]
        for r in store.run_named(
            "load/study_hashes", {"study_ids": [sg.study_id for sg, _ in todo]}
        )
    }
    same = [(sg, rows) for sg, rows in todo if hashes.get(sg.study_id) == sg.content_hash()]
    differ: dict[str, list[str]] = {}
    if verify and same:
        from cxrkg.ingest.verify import stored_differences

        differ = stored_differences(store, same)
    changed: Todo = []
    for sg, rows in todo:
        if hashes.get(sg.study_id) != sg.content_hash():
            changed.append((sg, rows))
        elif sg.study_id in differ:
            report.repaired.append((sg.study_id, "; ".join(differ[sg.study_id])))
            changed.append((sg, rows))
        else:
            report.unchanged.append(sg.study_id)
    return changed, hashes


_WHAT = {
    "images": "image id",
    "sentences": "sentence key",
    "observations": "observation key",
    "regions": "region key",
    "indications": "indication key",
}


def _refuse_clashes(
    store: GraphStore, todo: Todo, hashes: dict[str, str], report: IngestReport, strict: bool
) -> Todo:
    """Refuse, by name, every study whose write would create a key that another node
    already holds (in the graph or earlier in this batch): its write would fail, and a
    failed replace damages the graph."""
    if not todo:
        return todo
    claimed = {sg.study_id: claims(rows) for sg, rows in todo}
    params = {
        kind: [{"key": key, "study_id": sid} for sid, c in claimed.items() for key in c[kind]]
        for kind in CLAIMED
    }
    taken_by: dict[str, str] = {}
    for row in store.run_named("load/key_owners", params, read_only=True):
        if row["owner"] != row["claimant"] and row["claimant"] not in taken_by:
            owner = f"study {row['owner']}" if row["owner"] else "a node of no study"
            taken_by[row["claimant"]] = (
                f"{_WHAT[row['kind']]} {row['key']!r} already belongs to {owner}"
            )
    kept: Todo = []
    in_batch: dict[tuple[str, str], str] = {}
    for sg, rows in todo:
        why = taken_by.get(sg.study_id)
        if why is None:
            for kind, keys in claimed[sg.study_id].items():
                other = next((in_batch[(kind, k)] for k in keys if (kind, k) in in_batch), None)
                if other is not None:
                    key = next(k for k in keys if (kind, k) in in_batch)
                    why = f"{_WHAT[kind]} {key!r} also belongs to study {other} of this run"
                    break
        if why is not None:
            _reject(report, sg, why, strict)
            continue
        for kind, keys in claimed[sg.study_id].items():
            in_batch.update({(kind, k): sg.study_id for k in keys})
        kept.append((sg, rows))
    return kept


def _commit(
    store: GraphStore,
    todo: Todo,
    hashes: dict[str, str],
    report: IngestReport,
    strict: bool,
    encoded: EncodedParams | None = None,
) -> None:
    """Write checked studies (`encoded`: their rows, encoded ahead). New studies and
    replacements go in separate statements: should a new study's write fail after all,
    it is retried study by study, which involves no deletes; a replacement that fails
    stops the run rather than risk a second failed replace."""
    fresh = [(sg, rows) for sg, rows in todo if sg.study_id not in hashes]
    replacing = [(sg, rows) for sg, rows in todo if sg.study_id in hashes]
    if fresh:
        _commit_fresh(store, fresh, report, strict, encoded if not replacing else None)
    if replacing:
        try:
            _write(store, replacing, replace=True)
        except StoreUnavailable:
            raise
        except StoreError as exc:
            raise IngestError(
                f"the graph store refused to replace {len(replacing)} stored studies"
                f" ({', '.join(sg.study_id for sg, _ in replacing[:5])}...) that passed every"
                f" check before the write: {exc}. The run stops here so that no further"
                " replace can fail; check these studies with `--verify` and report this"
            ) from exc
        report.loaded += [sg.study_id for sg, _ in replacing]


def _commit_fresh(
    store: GraphStore,
    todo: Todo,
    report: IngestReport,
    strict: bool,
    encoded: EncodedParams | None,
) -> None:
    try:
        _write(store, todo, encoded=encoded)
    except StoreUnavailable:
        raise
    except StoreError as exc:
        if len(todo) == 1:
            _reject(report, todo[0][0], f"the graph store refused it: {exc}", strict)
            return
        for one in todo:  # find the bad study; the others still load
            try:
                _write(store, [one])
            except StoreUnavailable:
                raise
            except StoreError as one_exc:
                _reject(report, one[0], f"the graph store refused it: {one_exc}", strict)
                continue
            report.loaded.append(one[0].study_id)
        return
    report.loaded += [sg.study_id for sg, _ in todo]


def _write(
    store: GraphStore,
    todo: Todo,
    *,
    replace: bool = False,
    encoded: EncodedParams | None = None,
) -> None:
    rows = encoded or store.encode_params(merge_rows([rows for _, rows in todo]))
    replaced = [{"study_id": sg.study_id, "patient_id": sg.patient_id} for sg, _ in todo if replace]
    store.run_named("load/write_studies", rows + store.encode_params({"replaced": replaced}))


def _reject(report: IngestReport, sg: SceneGraph, reason: str, strict: bool) -> None:
    rejected = Rejected(file=sg.origin or "?", study_id=sg.study_id, reason=reason)
    if strict:
        raise IngestError(f"rejected {rejected.describe()} (--strict stops at the first)")
    report.rejected.append(rejected)


def link_pending(store: GraphStore) -> int:
    """Rebuild the links of every patient marked `link_pending` (by this run or by one
    that was cut short); returns how many patients were relinked."""
    done = 0
    last: list[str] = []
    while True:
        ids = [
            r["patient_id"]
            for r in store.run_named("load/pending_links", {"limit": _LINK_CHUNK}, read_only=True)
        ]
        if not ids:
            return done
        if ids == last:  # the marks did not clear: never loop on them
            raise StoreError(f"relinking patients {ids[:3]}... did not clear their marks")
        link_patients(store, ids)
        done += len(ids)
        last = ids


def link_patients(store: GraphStore, patient_ids: list[str]) -> None:
    """Rebuild NEXT_STUDY chains and ImaGenome comparison edges of these patients, then
    clear their marks (and drop a patient left without studies)."""
    store.run_named("load/unlink_next_study", {"patient_ids": patient_ids})
    store.run_named("load/link_next_study", {"patient_ids": patient_ids})
    rows = []
    for rec in store.run_named("load/patient_comparisons", {"patient_ids": patient_ids}):
        data = json.loads(rec["imagenome_json"])
        for comp in data.get("comparison_relations", []):
            changes = [n.rsplit("|", 1)[-1] for n in comp.get("relationship_names", [])]
            rows.append(
                {
                    "key": f"{rec['study_id']}/{comp['bbox_name']}",
                    "prev_image_id": comp["object_id"].rsplit("_", 1)[0],
                    "bbox_name": comp["bbox_name"],
                    "relationship_id": comp["relationship_id"],
                    "props": {
                        k: v
                        for k, v in {
                            "relationship_names": comp.get("relationship_names", []),
                            "changes": changes,
                            "predicate": comp.get("predicate"),
                            "phrase": comp.get("phrase"),
                            "attributes": comp.get("attributes", []),
                            "synsets": comp.get("synsets", []),
                        }.items()
                        if v is not None
                    },
                }
            )
    if rows:
        store.write_batches(load_query("load/link_comparisons"), rows)
    store.run_named("load/finish_links", {"patient_ids": patient_ids})


# -- sources wired to the loader --------------------------------------------------------
def ingest_qba(
    store: GraphStore, path: str | Path, image_metadata: str | Path | None = None, **kwargs: Any
) -> IngestReport:
    """Load a QBA scene-graph tree or `scene_data.zip`; images from the release's
    `metadata/image_metadata` table beside it (or `image_metadata`) where the files have none."""
    from cxrkg.ingest.sources import qba

    source = qba.QBASource(Path(path), Path(image_metadata) if image_metadata else None)
    return load_scene_graphs(store, source, total=source.count(), source="qba", **kwargs)


def ingest_imagenome(store: GraphStore, path: str | Path, **kwargs: Any) -> IngestReport:
    """Load a folder of Chest ImaGenome `*_SceneGraph.json` files."""
    from cxrkg.ingest.sources import imagenome

    source = imagenome.ImaGenomeSource(Path(path))
    return load_scene_graphs(store, source, total=source.count(), source="imagenome", **kwargs)
