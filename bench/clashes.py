"""Many rounds of the clash corpus of tests/test_ingest_clashes.py against the demo with
its QA: studies whose write would meet a key already taken, or hold a value no property
can, each beside a valid new study.

    python bench/clashes.py --rounds 25

Counts: clashes tried, refused by name, server crashes (the server not answering after a
clash), stored studies changed (any study's subgraph differing from its source after a
clash, node for node and edge for edge), and valid neighbours loaded.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_ingest import demo_graphs  # noqa: E402
from test_ingest_clashes import clash_cases, renamed  # noqa: E402

from cxrkg.app.demo import load_demo  # noqa: E402
from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore  # noqa: E402
from cxrkg.demo.replicate import replicate  # noqa: E402
from cxrkg.ingest.graph_rows import study_rows  # noqa: E402
from cxrkg.ingest.load import IngestError, load_scene_graphs  # noqa: E402
from cxrkg.ingest.verify import stored_differences  # noqa: E402
from cxrkg.qa_gen.generate import generate_qa  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxrkg-clashes-") as tmp:
        settings = Settings(home=Path(tmp), falkordb_port=free_port(), graph="bench")
        store = FalkorDBStore(settings, progress=False)
        store.setup_schema()
        load_demo(store, progress=False)
        generate_qa(store, None, None, write_graph=True)
        demo = {g.study_id: g for g in demo_graphs()}
        expected = dict(demo)
        slashed = renamed(demo["s50000004"], "s-slash", O01="a/O01", S01="a/S01", chest="a/chest")
        load_scene_graphs(store, [slashed], progress=False)
        expected["s-slash"] = slashed
        fresh = iter(replicate(list(demo.values()), 10 * args.rounds + 10, start=9000))
        tried = refused = crashes = changed = neighbours = 0
        for r in range(args.rounds):
            for name, studies, bad, _ in clash_cases(expected, f"-{r}"):
                valid = next(fresh)
                tried += 1
                try:
                    report = load_scene_graphs(
                        store, [*studies, valid], progress=False, batch_size=1 if r % 2 else None
                    )
                except IngestError as exc:
                    print(f"round {r}, {name}: the run stopped: {exc}")
                    crashes += 1
                    continue
                if not store.server.ping():
                    crashes += 1
                    print(f"round {r}, {name}: the server stopped answering")
                    store.server.start(progress=False)
                refused += all(
                    any(x.study_id == sid and x.reason for x in report.rejected) for sid in bad
                )
                neighbours += valid.study_id in report.loaded
                for sg in studies:
                    if sg.study_id in report.loaded:
                        expected[sg.study_id] = sg
                expected[valid.study_id] = valid
            stored = [(sg, study_rows(sg)) for sg in expected.values()]
            changed += len(stored_differences(store, stored))
        print(
            f"{tried} clashes tried ({args.rounds} rounds of {tried // max(args.rounds, 1)}"
            f" kinds): {refused} refused by name, {crashes} server crashes or stopped runs,"
            f" {changed} stored studies changed, {neighbours} valid neighbours loaded"
        )
        store.server.stop(progress=False)
    sys.exit(1 if crashes or changed or refused != tried else 0)


if __name__ == "__main__":
    main()
