"""QA pairs per second: Cypher over the graph vs the same questions made in Python from JSON.

    python bench/qa_generation.py                 # demo, 2,000 replicated, 1,000 QBA-shaped
    python bench/qa_generation.py --studies 5000 --qba-studies 0

It also times writing the whole QBA release (qa.zip, scene_data.zip, tables, stats, exports)
against generation alone, on the replicated graph.

Both paths share the answer assembly (`qa_gen.families`, `answers`, `grading`); what differs
is where the facts come from. The Cypher path runs the named queries in `cypher/qa/` over
batches of 200 studies. The baseline computes the same rows (which observations answer
which question, and how) directly from the parsed scene-graph JSON in Python, with the
parsing excluded from its time (`bench/qa_python.py`, which mirrors the queries, ontology
traversals included: ingest mirrors the ontology into the graph). The script checks that
both produce identical questions (ids, types, answers, grades) before it prints any figure.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cxrkg.app.demo import demo_dir  # noqa: E402
from cxrkg.bench.qba_shapes import qba_studies  # noqa: E402
from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore  # noqa: E402
from cxrkg.demo.replicate import replicate  # noqa: E402
from cxrkg.ingest.load import load_scene_graphs  # noqa: E402
from cxrkg.ingest.model import SceneGraph  # noqa: E402
from cxrkg.ingest.sources.qba import QBASource  # noqa: E402
from cxrkg.ontology import load_ontology  # noqa: E402
from cxrkg.qa_gen.generate import all_study_ids, generate_qa, iter_qa  # noqa: E402
from cxrkg.qa_gen.model import Question  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qa_python import python_qa  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the run --------------------------------------------------------------------------------
def signature(questions: list[Question]) -> list[str]:
    """Each question as the release writes it (ids, types, answers, grades), sorted."""
    return sorted(json.dumps(q.to_release_json(), sort_keys=True) for q in questions)


def measure(
    label: str, store: FalkorDBStore, graphs: list[SceneGraph], seed: int, workers: int
) -> None:
    ids = all_study_ids(store)
    t0 = time.perf_counter()
    cypher = {i.study.study_id: i.questions for i in iter_qa(store, ids, seed=seed)}
    t_cypher = time.perf_counter() - t0
    t_workers = None
    if workers > 1:
        t0 = time.perf_counter()
        again = {
            i.study.study_id: i.questions for i in iter_qa(store, ids, seed=seed, workers=workers)
        }
        t_workers = time.perf_counter() - t0
        assert again == cypher, "worker processes changed the output"
    texts = [g.model_dump_json() for g in graphs]
    t0 = time.perf_counter()
    parsed = [SceneGraph.model_validate_json(text) for text in texts]
    t_parse = time.perf_counter() - t0
    t0 = time.perf_counter()
    python = python_qa(parsed, load_ontology(), seed)
    t_python = time.perf_counter() - t0
    n = sum(len(q) for q in cypher.values())
    mismatched = [s for s in cypher if signature(cypher[s]) != signature(python.get(s, []))]
    if mismatched:
        sid = mismatched[0]
        a, b = set(signature(cypher[sid])), set(signature(python[sid]))
        print(f"{label}: {len(mismatched)} studies differ, e.g. {sid}:", file=sys.stderr)

        def brief(lines: set[str]) -> list[str]:
            return sorted(f"{d['question_type']} {d['variables']}" for d in map(json.loads, lines))

        print("  cypher only:", brief(a - b)[:6], file=sys.stderr)
        print("  python only:", brief(b - a)[:6], file=sys.stderr)

        for x, y in zip(sorted(a - b)[:2], sorted(b - a)[:2], strict=False):
            xs = json.dumps(json.loads(x), indent=1, sort_keys=True).splitlines()
            ys = json.dumps(json.loads(y), indent=1, sort_keys=True).splitlines()
            for line in list(difflib.unified_diff(xs, ys, "cypher", "python", n=2))[:40]:
                print("  " + line, file=sys.stderr)
        raise SystemExit(1)
    print(
        f"| {label} | {len(ids):,} | {n:,} | {n / t_cypher:,.0f} |"
        + (f" {n / t_workers:,.0f} |" if t_workers else " - |")
        + f" {n / t_python:,.0f} | {n / (t_python + t_parse):,.0f} | {t_python / t_cypher:.2f} |"
    )


def release_cost(store: FalkorDBStore, out: Path, seed: int) -> None:
    """Generation alone vs generation writing the whole QBA release (zips, tables, stats,
    both exports) for the same studies, in this process."""
    ids = all_study_ids(store)
    t0 = time.perf_counter()
    alone = generate_qa(store, ids, seed=seed)
    t_alone = time.perf_counter() - t0
    t0 = time.perf_counter()
    written = generate_qa(store, ids, out, seed=seed)
    t_release = time.perf_counter() - t0
    assert written.questions == alone.questions
    print(
        f"\nrelease: {len(ids):,} studies, {alone.questions:,} QA pairs; generation alone"
        f" {t_alone:.1f}s ({alone.questions / t_alone:,.0f} QA pairs/s), with the release"
        f" {t_release:.1f}s ({alone.questions / t_release:,.0f} QA pairs/s);"
        f" ratio {t_release / t_alone:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=2000, help="size of the larger graph")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--qba-studies",
        type=int,
        default=1000,
        help="QBA-shaped studies (bench/qba_shapes.py) for a third row; 0 leaves it out",
    )
    args = parser.parse_args()
    demo = [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), falkordb_port=free_port(), graph="bench_qa")
        store = FalkorDBStore(settings)
        try:
            store.setup_schema()
            print(
                "| graph | studies | QA pairs | Cypher QA pairs/s | Cypher, "
                f"{args.workers} worker processes | Python from parsed JSON | Python incl. JSON parsing |"
                " Cypher speed / Python speed |"
            )
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            load_scene_graphs(store, demo, progress=False)
            measure("demo", store, demo, args.seed, args.workers)
            store.clear()
            store.setup_schema()
            big = list(replicate(demo, args.studies))
            load_scene_graphs(store, big, progress=False)
            measure(
                f"demo x{args.studies // len(demo)} (replicated)",
                store,
                big,
                args.seed,
                args.workers,
            )
            release_cost(store, Path(tmp) / "release", args.seed)
            if args.qba_studies:
                store.clear()
                store.setup_schema()
                shaped = list(qba_studies(args.qba_studies, args.seed))
                load_scene_graphs(store, shaped, progress=False)
                measure("QBA-shaped", store, shaped, args.seed, args.workers)
        finally:
            store.server.stop()
            store.close()


if __name__ == "__main__":
    main()
