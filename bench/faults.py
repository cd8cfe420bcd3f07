"""Interrupted ingests at scale: SIGKILL of the server or of the client at three points,
then a rerun, compared with a clean load of the same files in the same run.

    python bench/faults.py --studies 3000 --kill-at 400 800 1200

For each victim and point: the studies committed when the kill landed, what the graph
lacked before the rerun (studies, NEXT_STUDY edges), the rerun's time against the clean
load's, and how the final graph differs from the clean load (`graph_differences`: counts
per label and type, the NEXT_STUDY chains, every study's subgraph). It must not differ.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cxrkg.app.demo import demo_dir  # noqa: E402
from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.queries import NamedQuery, load_query  # noqa: E402
from cxrkg.cypher.server import EmbeddedFalkorDB  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore, StoreError  # noqa: E402
from cxrkg.demo.replicate import replicate  # noqa: E402
from cxrkg.ingest.load import ingest_qba  # noqa: E402
from cxrkg.ingest.model import SceneGraph  # noqa: E402
from cxrkg.ingest.sources.qba import QBASource, write_qba_tree  # noqa: E402
from cxrkg.ingest.verify import graph_differences  # noqa: E402

COUNT_STUDIES = load_query("graph/label_count").with_names(label="Study")
COUNT_LINKS = load_query("graph/type_count").with_names(type="NEXT_STUDY")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def count(store: FalkorDBStore, query: NamedQuery) -> int:
    try:
        return int(store.run_named(query, read_only=True)[0]["n"])
    except (StoreError, IndexError):
        return 0


def scenario(root: Path, tree: Path, victim: str, at: int, clean: FalkorDBStore) -> dict:
    home, port = root / f"{victim}-{at}", free_port()
    settings = Settings(home=home, falkordb_port=port, graph="bench")
    server = EmbeddedFalkorDB(settings)
    server.start(progress=False)
    watcher = FalkorDBStore(settings, autostart=False)
    env = {
        **os.environ,
        "CXRKG_HOME": str(home),
        "CXRKG_FALKORDB_PORT": str(port),
        "CXRKG_GRAPH": "bench",
    }
    ingest = subprocess.Popen(
        [sys.executable, "-m", "cxrkg.app.cli", "ingest", "qba", str(tree)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while ingest.poll() is None and count(watcher, COUNT_STUDIES) < at:
        time.sleep(0.02)
    committed = count(watcher, COUNT_STUDIES)
    if victim == "server":
        server.kill()
    else:
        ingest.send_signal(signal.SIGKILL)
    ingest.wait()
    watcher.close()
    time.sleep(1.1)  # appendfsync everysec
    store = FalkorDBStore(settings, progress=False)
    store.setup_schema()
    studies_before = count(store, COUNT_STUDIES)
    links_before = count(store, COUNT_LINKS)
    began = time.perf_counter()
    report = ingest_qba(store, tree, progress=False)
    rerun_s = time.perf_counter() - began
    diffs = graph_differences(store, clean, most=1000)
    store.close()
    server.stop(wait_s=600, progress=False)
    return {
        "committed": committed,
        "studies_before": studies_before,
        "links_before": links_before,
        "rerun_s": rerun_s,
        "loaded": len(report.loaded),
        "rejected": len(report.rejected),
        "diffs": diffs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=3000)
    parser.add_argument("--kill-at", type=int, nargs="+", default=[400, 800, 1200])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxrkg-faults-") as tmp:
        root = Path(tmp)
        demo = [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]
        tree = root / "qba"
        write_qba_tree(list(replicate(demo, args.studies)), tree)
        settings = Settings(home=root / "clean", falkordb_port=free_port(), graph="bench")
        clean = FalkorDBStore(settings, progress=False)
        clean.setup_schema()
        began = time.perf_counter()
        ingest_qba(clean, tree, progress=False)
        clean_s = time.perf_counter() - began
        links = count(clean, COUNT_LINKS)
        print(f"clean load: {args.studies:,} studies, {links:,} NEXT_STUDY edges in {clean_s:.1f}s")
        print(
            "victim  kill at  committed  before rerun: studies / NEXT_STUDY   rerun (x clean)"
            "  differences after rerun"
        )
        failed = 0
        for victim in ("server", "client"):
            for at in args.kill_at:
                r = scenario(root, tree, victim, at, clean)
                failed += bool(r["diffs"]) or bool(r["rejected"])
                print(
                    f"{victim:7s} {at:7,}  {r['committed']:9,}  {r['studies_before']:13,} /"
                    f" {r['links_before']:,} of {links:,} ({links - r['links_before']:,} missing)"
                    f"   {r['rerun_s']:5.1f}s ({r['rerun_s'] / clean_s:.2f})"
                    f"  {len(r['diffs'])}",
                    flush=True,
                )
                for line in r["diffs"][:5]:
                    print(f"    {line}")
        clean.server.stop(wait_s=600, progress=False)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
