"""The loader: SceneGraphs into the graph store, batched, idempotent, each study whole or not at all.

    report = ingest_qba(store, "scene_data.zip")
    report = load_scene_graphs(store, my_scene_graphs)
    print(report.summary())

A study whose content hash is already in the graph is skipped ("unchanged"); a changed
study has its old subgraph replaced in the same statement that writes the new one.
A batch that fails is retried study by study, so one bad study is rejected with the
database's reason and the rest still load.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cxrkg.cypher.queries import load_query
from cxrkg.cypher.store import EncodedParams, GraphStore, StoreError, StoreUnavailable
from cxrkg.ingest.graph_rows import merge_rows, study_rows
from cxrkg.ingest.model import IngestError, Notice, Rejected, SceneGraph

__all__ = ["IngestError", "IngestReport", "load_scene_graphs", "ingest_qba", "ingest_imagenome"]


@dataclass
class IngestReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # loaded, but carrying what grades nothing (unknown quality keys): said, never dropped
    notices: list[Notice] = field(default_factory=list)
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


def load_scene_graphs(
    store: GraphStore,
    items: Iterable[SceneGraph | Rejected],
    *,
    strict: bool = False,
    progress: bool = True,
    limit: int | None = None,
    batch_size: int | None = None,
    total: int | None = None,
    source: str = "",
) -> IngestReport:
    """Write scene graphs into the store and report what was loaded, unchanged or rejected.
    The ontology is mirrored into the graph first (when it is not, or is another version),
    so every study is linked to it as it is written."""
    from cxrkg.ontology.sync import ensure_synced, link_loaded

    ensure_synced(store)
    report = IngestReport(source=source)
    size = batch_size or store.settings.batch_size
    started = time.perf_counter()
    patients: set[str] = set()
    bar = tqdm(
        total=min(total, limit) if total and limit else (limit or total),
        unit="study",
        desc=f"ingest {source}".strip(),
        disable=not progress,
        leave=False,
    )
    batch: list[SceneGraph] = []
    # One batch is written on a writer thread while the next is read, validated and
    # turned into rows: the server works on its own core and the socket wait releases
    # the GIL. A study id met again in this run waits for the write in flight first.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cxrkg-writer")
    pending: Future[None] | None = None
    seen: set[str] = set()

    def submit(batch: list[SceneGraph]) -> Future[None]:
        nonlocal pending
        ids = {sg.study_id for sg in batch}
        if pending is not None and not ids.isdisjoint(seen):
            pending.result()
        seen.update(ids)
        prepared = _prepare(batch, report, strict)
        # Encoding the batch's parameters is as costly as building them: done here, so the
        # server never idles while the writer thread encodes.
        encoded = store.encode_params(merge_rows([rows for _, rows in prepared]))
        if pending is not None:
            pending.result()

        def work() -> None:
            # The unchanged-check reads the graph, so it runs here: a read from the main
            # thread would wait on the graph lock held by the write in flight.
            todo, hashes = _skip_unchanged(store, prepared, report)
            whole = encoded if len(todo) == len(prepared) else None
            _commit(store, todo, hashes, report, patients, strict, whole)
            bar.update(len(batch))

        return writer.submit(work)

    try:
        for item in _limited(items, limit):
            if isinstance(item, Rejected):
                if strict:
                    raise IngestError(f"rejected {item.describe()} (--strict stops at the first)")
                report.rejected.append(item)
                bar.update(1)
                continue
            batch.append(item)
            if len(batch) >= size:
                pending = submit(batch)
                batch = []
        if batch:
            pending = submit(batch)
        if pending is not None:
            pending.result()
            pending = None
        if patients:
            link_patients(store, sorted(patients))
        for i in range(0, len(report.loaded), size):  # synonyms and other spellings
            link_loaded(store, report.loaded[i : i + size])
        if report.loaded:
            store.bump_version()
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


def _limited(
    items: Iterable[SceneGraph | Rejected], limit: int | None
) -> Iterator[SceneGraph | Rejected]:
    for i, item in enumerate(items):
        if limit is not None and i >= limit:
            return
        yield item


Todo = list[tuple[SceneGraph, dict[str, list[dict[str, Any]]]]]


def _prepare(batch: list[SceneGraph], report: IngestReport, strict: bool) -> Todo:
    """The rows of each study of a batch (no store access: runs beside the writer)."""
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
            todo.append((sg, study_rows(sg)))
        except (ValueError, TypeError) as exc:  # a value no graph property can hold
            _reject(report, sg, f"cannot be written: {exc}", strict)
    return todo


def _skip_unchanged(
    store: GraphStore, todo: Todo, report: IngestReport
) -> tuple[Todo, dict[str, str]]:
    """Drop the studies whose content hash is already in the graph."""
    hashes = {
        r["study_id"]: r["content_hash"]
        for r in store.run_named(
            "load/study_hashes", {"study_ids": [sg.study_id for sg, _ in todo]}
        )
    }
    changed: Todo = []
    for sg, rows in todo:
        if hashes.get(sg.study_id) == sg.content_hash():
            report.unchanged.append(sg.study_id)
        else:
            changed.append((sg, rows))
    return changed, hashes


def _commit(
    store: GraphStore,
    todo: Todo,
    hashes: dict[str, str],
    report: IngestReport,
    patients: set[str],
    strict: bool,
    encoded: EncodedParams | None = None,
) -> None:
    """Write prepared studies (`encoded`: their rows, encoded ahead); a failed batch is
    retried study by study."""
    if not todo:
        return
    try:
        _write(store, todo, hashes, encoded)
    except StoreUnavailable:
        raise
    except StoreError as exc:
        if len(todo) == 1:
            sg = todo[0][0]
            _reject(report, sg, _explain_failure(store, sg, exc), strict)
            return
        for one in todo:  # find the bad study; the others still load
            try:
                _write(store, [one], hashes)
            except StoreUnavailable:
                raise
            except StoreError as one_exc:
                _reject(report, one[0], _explain_failure(store, one[0], one_exc), strict)
                continue
            report.loaded.append(one[0].study_id)
            patients.add(one[0].patient_id)
        return
    report.loaded += [sg.study_id for sg, _ in todo]
    patients.update(sg.patient_id for sg, _ in todo)


def _write(
    store: GraphStore, todo: Todo, hashes: dict[str, str], encoded: EncodedParams | None = None
) -> None:
    rows = encoded or store.encode_params(merge_rows([rows for _, rows in todo]))
    delete = store.encode_params(
        {"delete_ids": [sg.study_id for sg, _ in todo if sg.study_id in hashes]}
    )
    store.run_named("load/write_studies", rows + delete)


def _explain_failure(store: GraphStore, sg: SceneGraph, error: StoreError) -> str:
    """Say which image ids clash with another study, else pass the database's reason on."""
    image_ids = sorted(
        set(sg.images) | {i for o in sg.all_observations().values() for i in o.localization}
    )
    owners = store.run_named(
        "load/image_owners", {"ids": image_ids, "study_id": sg.study_id}, read_only=True
    )
    if owners:
        clash = ", ".join(f"{r['image_id']} (study {r['owner']})" for r in owners[:3])
        return f"image id already belongs to another study: {clash}"
    return f"the graph store refused it: {error}"


def _reject(report: IngestReport, sg: SceneGraph, reason: str, strict: bool) -> None:
    rejected = Rejected(file=sg.origin or "?", study_id=sg.study_id, reason=reason)
    if strict:
        raise IngestError(f"rejected {rejected.describe()} (--strict stops at the first)")
    report.rejected.append(rejected)


def link_patients(store: GraphStore, patient_ids: list[str]) -> None:
    """Rebuild NEXT_STUDY chains and ImaGenome comparison edges of these patients."""
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
