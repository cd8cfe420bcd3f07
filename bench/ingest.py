"""Ingestion speed and store memory per study, against a bare-CREATE baseline in the same run.

    python bench/ingest.py --studies 5000

Loader: `ingest_qba` over a QBA tree of N studies on disk (the demo sample replicated
under new ids): JSON parsing, validation, content hashes, the unchanged-check, and the
one-statement-per-batch write. Baseline: the same nodes and edges, rows prepared
beforehand (not timed), written by one bare batched UNWIND ... CREATE statement per batch
with no validation, no hash check and no replace. Each runs on a freshly emptied graph
of its own embedded FalkorDB. Memory: the server's used_memory growth per study.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cxrkg.app.demo import demo_dir  # noqa: E402
from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.queries import load_query  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore  # noqa: E402
from cxrkg.demo.replicate import replicate  # noqa: E402
from cxrkg.ingest.graph_rows import merge_rows, study_rows  # noqa: E402
from cxrkg.ingest.load import ingest_qba  # noqa: E402
from cxrkg.ingest.sources.qba import QBASource, write_qba_tree  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def baseline_statement() -> str:
    """write_studies without its replace stages, MERGE turned into CREATE."""
    text = load_query("load/write_studies").text
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("//"))
    stages = body.split("WITH count(*) AS _\n")
    kept = [s for s in stages if "$replaced" not in s]
    out = "WITH count(*) AS _\n".join(kept)
    out = re.sub(
        r"MERGE \(p:Patient \{patient_id: row.patient_id\}\)\nSET p.link_pending = true\n"
        r"MERGE \(s:Study \{study_id: row.study_id\}\)\nSET s = row.props\n"
        r"MERGE \(p\)-\[:HAS_STUDY\]->\(s\)",
        "MATCH (p:Patient {patient_id: row.patient_id})\n"
        "CREATE (p)-[:HAS_STUDY]->(s:Study)\nSET s = row.props",
        out,
    )
    out = (
        "UNWIND $new_patients AS pid\nCREATE (:Patient {patient_id: pid})\nWITH count(*) AS _\n"
        + out
    )
    assert "MERGE" not in out and "$replaced" not in out
    return out


def used_memory(store: FalkorDBStore) -> int:
    return int(store.db.connection.info("memory")["used_memory"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cxrkg-bench-") as tmp:
        demo = list(QBASource(demo_dir()))
        graphs = list(replicate(demo, args.studies))
        tree = Path(tmp) / "qba"
        write_qba_tree(graphs, tree)
        print(f"{args.studies:,} studies (the 22 demo studies replicated), batches of {args.batch}")

        def fresh_store(name: str) -> FalkorDBStore:
            # A server of its own per phase, so memory growth is not blurred by reuse.
            settings = Settings(
                home=Path(tmp) / name,
                falkordb_port=free_port(),
                graph="bench",
                batch_size=args.batch,
            )
            store = FalkorDBStore(settings)
            store.setup_schema()
            return store

        # Baseline: bare CREATE of prepared rows.
        store = fresh_store("baseline")
        rows = [study_rows(g) for g in graphs]
        statement = baseline_statement()
        batches = []
        seen: set[str] = set()
        for i in range(0, len(rows), args.batch):
            params = merge_rows(rows[i : i + args.batch])
            params.pop("replaced", None)
            new = sorted({r["patient_id"] for r in params["studies"]} - seen)
            seen.update(new)
            batches.append({**params, "new_patients": new})
        mem0 = used_memory(store)
        t0 = time.perf_counter()
        for params in batches:
            store.run(statement, params)
        base_s = time.perf_counter() - t0
        base_mem = used_memory(store) - mem0
        base_counts = store.run_named("graph/node_count")[0]["n"]
        store.server.stop()

        # Loader: from files on disk through the whole ingest path.
        store = fresh_store("loader")
        mem0 = used_memory(store)
        t0 = time.perf_counter()
        report = ingest_qba(store, tree, progress=False)
        load_s = time.perf_counter() - t0
        load_mem = used_memory(store) - mem0
        load_counts = store.run_named("graph/node_count")[0]["n"]
        assert not report.rejected, report.summary()
        # Re-ingest of the same files: everything is unchanged.
        t0 = time.perf_counter()
        again = ingest_qba(store, tree, progress=False)
        again_s = time.perf_counter() - t0
        store.server.stop()

    base_rate = args.studies / base_s
    load_rate = args.studies / load_s
    print(
        f"baseline (bare CREATE)  {base_rate:8,.0f} studies/s  {base_s:6.1f}s  nodes {base_counts:,}"
    )
    print(
        f"loader (ingest_qba)     {load_rate:8,.0f} studies/s  {load_s:6.1f}s  nodes {load_counts:,}"
    )
    print(
        f"ratio loader/baseline   {load_rate / base_rate:8.2f}   (target >= 0.60; >= 300 studies/s)"
    )
    print(f"re-ingest, all unchanged {len(again.unchanged) / again_s:7,.0f} studies/s")
    print(
        f"store memory per study  {load_mem / args.studies / 1024:8.1f} KB (baseline "
        f"{base_mem / args.studies / 1024:.1f} KB; target < 60 KB; 227,000 studies ->"
        f" {load_mem / args.studies * 227_000 / 2**30:.1f} GiB)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
