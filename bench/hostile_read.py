"""How a runaway read affects everyone else, and what the memory cap saves.

    python bench/hostile_read.py --studies 330

Latency of `RETURN 1` from a second client while 0, 1, 2 or 4 other clients run
`MATCH (a),(b),(c) RETURN count(*)` on a graph of the demo replicated (330 studies:
about 7,000 nodes), each stopped by the default read timeout; the 0-hostile run is the
baseline. Then the server's memory growth from `UNWIND range(1, 20000000) ... collect`
with the per-query cap (refused) against no cap (runs), in the same run.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cxrkg.app.demo import demo_dir  # noqa: E402
from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore, QueryLimitExceeded  # noqa: E402
from cxrkg.demo.replicate import replicate  # noqa: E402
from cxrkg.ingest.load import load_scene_graphs  # noqa: E402
from cxrkg.ingest.model import SceneGraph  # noqa: E402
from cxrkg.ingest.sources.qba import QBASource  # noqa: E402

# The hostile reads are what this measures, so they stay here rather than in cypher/.
CARTESIAN = "MATCH (a),(b),(c) RETURN count(*) AS n"
COLLECT = "UNWIND range(1, 20000000) AS x WITH collect(x) AS xs RETURN size(xs) AS n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def latencies(settings: Settings, hostile: int, timeout_s: float) -> tuple[list[float], int]:
    """RETURN 1 latencies (s) while `hostile` clients run the product; how many stopped."""
    stopped = []
    slow = settings.model_copy(update={"query_timeout_s": timeout_s})

    def run() -> None:
        client = FalkorDBStore(slow, autostart=False)
        try:
            client.run(CARTESIAN, read_only=True)
        except QueryLimitExceeded:
            stopped.append(1)
        client.close()

    threads = [threading.Thread(target=run) for _ in range(hostile)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    other = FalkorDBStore(settings, autostart=False)
    out = []
    for _ in range(20):
        began = time.perf_counter()
        other.run("RETURN 1 AS x", read_only=True)
        out.append(time.perf_counter() - began)
        time.sleep(0.1)
    other.close()
    for t in threads:
        t.join()
    return out, len(stopped)


def used(store: FalkorDBStore) -> int:
    return int(store.db.connection.info("memory")["used_memory"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=330)
    parser.add_argument("--timeout", type=float, default=5.0, help="read timeout, seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxrkg-hostile-") as tmp:
        settings = Settings(home=Path(tmp), falkordb_port=free_port(), graph="bench")
        store = FalkorDBStore(settings, progress=False)
        store.setup_schema()
        demo = [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]
        load_scene_graphs(store, replicate(demo, args.studies), progress=False)
        nodes = store.run_named("graph/node_count", read_only=True)[0]["n"]
        threads = store.db.connection.execute_command("GRAPH.CONFIG", "GET", "THREAD_COUNT")[1]
        print(f"{nodes:,} nodes, {threads} query threads, read timeout {args.timeout:g}s")
        base = None
        for hostile in (0, 1, 2, 4):
            lat, stopped = latencies(settings, hostile, args.timeout)
            p50, worst = statistics.median(lat), max(lat)
            base = base or p50
            print(
                f"{hostile} runaway reads: RETURN 1 median {p50 * 1e3:7.1f} ms, max"
                f" {worst * 1e3:7.1f} ms ({p50 / base:5.1f}x the baseline);"
                f" {stopped}/{hostile} stopped at the timeout"
            )

        conn = store.db.connection
        before = used(store)
        try:
            store.run(COLLECT, read_only=True)
            capped = "ran"
        except QueryLimitExceeded as exc:
            capped = f"refused ({str(exc)[:60]}...)"
        with_cap = used(store) - before
        conn.execute_command("GRAPH.CONFIG", "SET", "QUERY_MEM_CAPACITY", 0)
        before = used(store)
        store.run(COLLECT, read_only=True)
        peak = int(conn.info("memory")["used_memory_peak"]) - before
        print(
            f"big collect with the {settings.query_memory_mb} MB cap: {capped}, memory"
            f" +{with_cap / 2**20:.0f} MB; without a cap: ran, peak +{peak / 2**20:,.0f} MB"
        )
        store.server.stop(progress=False)


if __name__ == "__main__":
    main()
