"""The scaling curve: ingest, bulk load, QA and store bytes per study at growing sizes.

    python bench/scaling.py --sizes 1000 10000 100000 --tree /tmp/qba-tree

QBA-shaped studies (`bench/qba_shapes.py`, written once as a QBA tree and read back by
each phase) at each size, every phase on a fresh embedded FalkorDB of its own:

- baseline: the transactional write statement with its replace stages cut and MERGE made
  CREATE (`bench/ingest.py`), rows prepared beforehand (not timed), one statement per
  batch of 200; the ontology is mirrored first (not timed) so it makes the same links;
- loader: `load_scene_graphs` over the tree, all of it (parsing, validation, hashes,
  checks, writes, linking), timed per tenth of the studies to show whether the cost per
  study grows with the graph; then QA generation (`generate_qa`, read-only) over a sample
  of studies spread over the graph; then a clean stop and the size of the files on disk;
- bulk: `load_scene_graphs(..., bulk=True)` (falkordb-bulk-loader) into an empty graph,
  its loader phase in entities per second, and the graph it leaves counted against the
  loader's.

Memory: the server's `used_memory` growth over the load, per study. Results are appended
to `--out` (JSON lines) so that sizes can be run one at a time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cxrkg.bench.ingest import baseline_statement, free_port  # noqa: E402
from cxrkg.bench.qba_shapes import write_tree  # noqa: E402
from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore  # noqa: E402
from cxrkg.ingest.graph_rows import merge_rows, study_rows  # noqa: E402
from cxrkg.ingest.graph_stats import graph_stats  # noqa: E402
from cxrkg.ingest.load import load_scene_graphs  # noqa: E402
from cxrkg.ingest.model import SceneGraph  # noqa: E402
from cxrkg.ingest.sources.qba import QBASource  # noqa: E402
from cxrkg.ontology.sync import ensure_synced  # noqa: E402

QBA_STUDIES = 227_239
MACHINE_GIB = 24
BATCH = 200


def studies(tree: Path, n: int) -> Iterator[SceneGraph]:
    for item in itertools.islice(QBASource(tree), n):
        if not isinstance(item, SceneGraph):
            raise SystemExit(f"the tree holds a study the reader rejects: {item}")
        yield item


def fresh_store(root: Path, name: str) -> FalkorDBStore:
    settings = Settings(
        home=root / name, falkordb_port=free_port(), graph="bench", batch_size=BATCH
    )
    store = FalkorDBStore(settings, progress=False)
    store.setup_schema()
    return store


def used_memory(store: FalkorDBStore) -> int:
    return int(store.db.connection.info("memory")["used_memory"])


def disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def stop(store: FalkorDBStore) -> int:
    """Stop cleanly (the data saved as one snapshot) and return the bytes on disk."""
    store.close()
    store.server.stop()
    data = store.settings.falkordb_dir
    return sum(disk_bytes(p) for p in data.iterdir() if p.name.startswith(("appendonly", "dump")))


def counts(store: FalkorDBStore) -> tuple[int, int, dict[str, dict[str, int]]]:
    stats = graph_stats(store)
    return sum(stats["nodes"].values()), sum(stats["relationships"].values()), stats


def run_baseline(root: Path, tree: Path, n: int) -> dict[str, Any]:
    store = fresh_store(root, "baseline")
    ensure_synced(store)
    statement = baseline_statement()
    mem0 = used_memory(store)
    patients: set[str] = set()
    took = 0.0
    source = studies(tree, n)
    while batch := list(itertools.islice(source, BATCH)):
        params = merge_rows([study_rows(sg) for sg in batch])
        new = sorted({r["patient_id"] for r in params["studies"]} - patients)
        patients.update(new)
        params["new_patients"] = new
        t0 = time.perf_counter()
        store.run(statement, params)
        took += time.perf_counter() - t0
    grown = used_memory(store) - mem0
    nodes, rels, _ = counts(store)
    stop(store)
    shutil.rmtree(root / "baseline", ignore_errors=True)
    return {"seconds": took, "studies_per_s": n / took, "memory_per_study": grown / n,
            "nodes": nodes, "relationships": rels}  # fmt: skip


def run_loader(root: Path, tree: Path, n: int, qa_sample: int) -> dict[str, Any]:
    store = fresh_store(root, "loader")
    ensure_synced(store)  # as the first load would; the same for every size
    mem0 = used_memory(store)
    source = studies(tree, n)
    tenth = max(n // 10, 1)
    parts = []
    loaded = rejected = 0
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()  # reading and parsing the files is part of the load
        part = list(itertools.islice(source, tenth))
        if not part:
            break
        report = load_scene_graphs(store, part, progress=False, source="qba-shaped")
        parts.append(len(part) / (time.perf_counter() - t0))
        loaded += len(report.loaded)
        rejected += len(report.rejected)
        print(f"  loader {loaded:,}/{n:,}: {parts[-1]:,.0f} studies/s", flush=True)
    took = time.perf_counter() - started
    grown = used_memory(store) - mem0
    graph_mb = store.memory_bytes()
    nodes, rels, stats = counts(store)
    qa = run_qa(store, n, qa_sample) if qa_sample else {}
    on_disk = stop(store)
    shutil.rmtree(root / "loader", ignore_errors=True)
    return {
        "seconds": took,
        "studies_per_s": n / took,
        "per_tenth_studies_per_s": parts,
        "loaded": loaded,
        "rejected": rejected,
        "memory_per_study": grown / n,
        "graph_memory_per_study": (graph_mb or 0) / n,
        "disk_per_study": on_disk / n,
        "nodes": nodes,
        "relationships": rels,
        "stats": stats,
        **qa,
    }


def run_qa(store: FalkorDBStore, n: int, sample: int) -> dict[str, Any]:
    """QA pairs per second over `sample` studies spread over the graph (read-only)."""
    from cxrkg.qa_gen.generate import all_study_ids, generate_qa

    ids = all_study_ids(store)
    step = max(len(ids) // sample, 1)
    picked = ids[::step][:sample]
    t0 = time.perf_counter()
    report = generate_qa(store, picked)
    took = time.perf_counter() - t0
    return {"qa_studies": report.studies, "qa_pairs": report.questions, "qa_seconds": took,
            "qa_pairs_per_s": report.questions / took}  # fmt: skip


def run_bulk(root: Path, tree: Path, n: int) -> dict[str, Any]:
    store = fresh_store(root, "bulk")
    mem0 = used_memory(store)
    t0 = time.perf_counter()
    report = load_scene_graphs(store, studies(tree, n), bulk=True, progress=False)
    took = time.perf_counter() - t0
    grown = used_memory(store) - mem0
    nodes, rels, stats = counts(store)
    on_disk = stop(store)
    shutil.rmtree(root / "bulk", ignore_errors=True)
    loader_s = report.phases.get("bulk loader", 0.0)
    return {
        "seconds": took,
        "studies_per_s": n / took,
        "entities": report.entities,
        "loader_seconds": loader_s,
        "loader_entities_per_s": report.entities / loader_s if loader_s else 0.0,
        "end_to_end_entities_per_s": report.entities / took,
        "phases": report.phases,
        "deferred": len(report.deferred),
        "memory_per_study": grown / n,
        "disk_per_study": on_disk / n,
        "nodes": nodes,
        "relationships": rels,
        "stats": stats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--tree", type=Path, help="QBA-shaped tree (made once)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--qa-sample", type=int, default=300, help="studies timed for QA")
    parser.add_argument("--phases", nargs="+", default=["baseline", "loader", "bulk"])
    parser.add_argument("--out", type=Path, default=Path("scaling.jsonl"))
    parser.add_argument("--work", type=Path, default=None, help="where the servers keep data")
    parser.add_argument("--report", type=Path, help="only print the table of a results file")
    args = parser.parse_args()
    if args.report:
        report_file(args.report)
        return

    write_tree(args.tree, max(args.sizes), args.seed)
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="cxrkg-scale-", dir=args.work) as tmp:
            root = Path(tmp)
            result: dict[str, Any] = {"studies": n, "seed": args.seed}
            print(f"== {n:,} QBA-shaped studies", flush=True)
            for phase in args.phases:
                if phase == "baseline":
                    result[phase] = run_baseline(root, args.tree, n)
                elif phase == "loader":
                    result[phase] = run_loader(root, args.tree, n, args.qa_sample)
                else:
                    result[phase] = run_bulk(root, args.tree, n)
                brief = {k: v for k, v in result[phase].items() if k != "stats"}
                print(f"  {phase}: {json.dumps(brief, default=str)}", flush=True)
                with args.out.open("a") as fh:  # each phase as it ends: a long run keeps them
                    fh.write(
                        json.dumps({"studies": n, "phase": phase, phase: result[phase]}) + "\n"
                    )
            with args.out.open("a") as fh:
                fh.write(json.dumps(result) + "\n")
            report(result)


def report_file(path: Path) -> None:
    """The table of every size in a results file (`--report FILE`)."""
    sizes: dict[int, dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        r = json.loads(line)
        sizes.setdefault(r["studies"], {"studies": r["studies"]}).update(
            {k: v for k, v in r.items() if k in ("baseline", "loader", "bulk")}
        )
    for n in sorted(sizes):
        report(sizes[n])


def report(r: dict[str, Any]) -> None:
    n = r["studies"]
    lines = [f"-- {n:,} studies"]
    base, load, bulk = r.get("baseline"), r.get("loader"), r.get("bulk")
    if base:
        lines.append(
            f"baseline (bare CREATE)   {base['studies_per_s']:8,.0f} studies/s,"
            f" {base['memory_per_study'] / 1024:.1f} KB per study"
        )
    if load:
        lines.append(f"loader (transactional)   {load['studies_per_s']:8,.0f} studies/s")
        if base:
            lines.append(
                f"ratio loader/baseline    {load['studies_per_s'] / base['studies_per_s']:8.2f}"
            )
        tenths = load["per_tenth_studies_per_s"]
        lines.append(
            f"loader per tenth          first {tenths[0]:,.0f}, last {tenths[-1]:,.0f} studies/s"
            f" (last/first {tenths[-1] / tenths[0]:.2f})"
        )
        per = load["memory_per_study"]
        lines.append(
            f"memory per study          {per / 1024:8.1f} KB (used_memory growth;"
            f" {load['graph_memory_per_study'] / 1024:.1f} KB by GRAPH.MEMORY USAGE); on disk"
            f" {load['disk_per_study'] / 1024:.1f} KB after a clean stop"
        )
        lines.append(
            f"227,239 QBA studies       {per * QBA_STUDIES / 2**30:8.1f} GiB in memory"
            f" ({'fits' if per * QBA_STUDIES < MACHINE_GIB * 2**30 else 'does NOT fit'}"
            f" {MACHINE_GIB} GiB), {load['disk_per_study'] * QBA_STUDIES / 2**30:.1f} GiB on disk"
        )
        if "qa_pairs_per_s" in load:
            lines.append(
                f"QA generation             {load['qa_pairs_per_s']:8,.0f} QA pairs/s"
                f" ({load['qa_pairs']:,} pairs of {load['qa_studies']:,} studies)"
            )
    if bulk:
        lines.append(
            f"bulk load                 {bulk['studies_per_s']:8,.0f} studies/s end to end,"
            f" {bulk['end_to_end_entities_per_s']:,.0f} entities/s; the bulk loader"
            f" {bulk['loader_entities_per_s']:,.0f} entities/s"
        )
        if load:
            same = (bulk["nodes"], bulk["relationships"]) == (load["nodes"], load["relationships"])
            lines.append(
                f"bulk/transactional        {bulk['studies_per_s'] / load['studies_per_s']:8.2f}x"
                f" studies/s; same graph counts: {same}"
            )
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
