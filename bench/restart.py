"""Restart time of the embedded store after a clean stop and after SIGKILL, against the
persistence cxrkg used before (writes logged as queries to replay, no snapshot on stop),
measured in the same run.

    python bench/restart.py --studies 20000 --baseline-studies 1000

Each phase loads the demo replicated to N studies through the loader into a fresh home,
then stops the server (`EmbeddedFalkorDB.stop`: the append-only file is rewritten as one
RDB snapshot) or SIGKILLs it, and times `EmbeddedFalkorDB.start` until the server answers
queries, checking that the graph holds what was loaded. The baseline does the same with
the old regime on fewer studies (its replay is slow) and both are compared per study and
extrapolated to 100,000 studies.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cxrkg.app.demo import demo_dir  # noqa: E402
from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore  # noqa: E402
from cxrkg.demo.replicate import replicate  # noqa: E402
from cxrkg.ingest.graph_stats import graph_stats  # noqa: E402
from cxrkg.ingest.load import load_scene_graphs  # noqa: E402
from cxrkg.ingest.model import SceneGraph  # noqa: E402
from cxrkg.ingest.sources.qba import QBASource  # noqa: E402

TARGET = 100_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aof_sizes(data_dir: Path) -> str:
    folder = data_dir / "appendonlydir"
    base = sum(p.stat().st_size for p in folder.glob("*.base.rdb"))
    incr = sum(p.stat().st_size for p in folder.glob("*.incr.aof"))
    return f"base {base / 2**20:,.1f} MB + appended {incr / 2**20:,.1f} MB"


def phase(
    root: Path, name: str, studies: int, *, old: bool, kill: bool, worst: bool = False
) -> dict[str, float]:
    """Load `studies` studies, stop (or kill) the server, time the start. `worst`: the
    last fifth is loaded after a rewrite with automatic rewrites off, so the kill finds
    more appended than the rewrite threshold ever lets build up (a fifth of the studies
    as effects is over 100 % of the base's bytes; rewrites start at 25 %)."""
    settings = Settings(home=root / name, falkordb_port=free_port(), graph="bench")
    store = FalkorDBStore(settings, progress=False)
    server = store.server
    if old:  # the persistence before issue 11: writes logged as queries, never rewritten
        for key, value in (("EFFECTS_THRESHOLD", 300),):
            store.db.connection.execute_command("GRAPH.CONFIG", "SET", key, value)
        store.db.connection.config_set("auto-aof-rewrite-percentage", 0)
    store.setup_schema()
    demo = [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]
    began = time.perf_counter()
    first = studies - studies // 5 if worst else studies
    report = load_scene_graphs(store, replicate(demo, first), progress=False)
    if worst:
        server.compact()
        store.db.connection.config_set("auto-aof-rewrite-percentage", 0)
        more = load_scene_graphs(
            store, replicate(demo, studies - first, start=first), progress=False
        )
        report.loaded += more.loaded
    load_s = time.perf_counter() - began
    assert len(report.loaded) == studies, report.summary()
    before = graph_stats(store)
    memory = int(store.db.connection.info("memory")["used_memory"])
    store.close()
    began = time.perf_counter()
    if kill:
        server.kill()
    elif old:  # the old `db stop`: SHUTDOWN, nothing rewritten
        with contextlib.suppress(Exception):  # the connection drops as it exits
            server._client(timeout=600).shutdown()
        while server.probe().value != "down":
            time.sleep(0.05)
    else:
        server.stop(wait_s=600, progress=False)
    stop_s = time.perf_counter() - began
    files = aof_sizes(server.data_dir)
    began = time.perf_counter()
    server.start(progress=False)
    start_s = time.perf_counter() - began
    again = FalkorDBStore(settings, autostart=False)
    after = graph_stats(again)
    again.close()
    server.stop(wait_s=600, progress=False)
    if after != before:
        sys.exit(f"{name}: the restarted graph differs from the loaded one")
    print(
        f"{name:28s} {studies:>8,} studies  load {load_s:7.1f}s  stop {stop_s:6.1f}s"
        f"  start {start_s:7.2f}s  ({files}; {memory / 2**30:.2f} GiB in memory)",
        flush=True,
    )
    return {"start_s": start_s, "per_study": start_s / studies, "stop_s": stop_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=20_000)
    parser.add_argument("--baseline-studies", type=int, default=1_000)
    parser.add_argument(
        "--worst-kill",
        action="store_true",
        help="only the SIGKILL phase, killed with the most appended the settings allow",
    )
    args = parser.parse_args()
    if args.worst_kill:
        with tempfile.TemporaryDirectory(prefix="cxrkg-restart-") as tmp:
            r = phase(
                Path(tmp),
                "new, SIGKILL, worst case",
                args.studies,
                old=False,
                kill=True,
                worst=True,
            )
        print(f"100k studies extrapolated: {r['per_study'] * TARGET:.1f}s (target < 60s)")
        return
    with tempfile.TemporaryDirectory(prefix="cxrkg-restart-") as tmp:
        root = Path(tmp)
        print(f"restart after clean stop and after SIGKILL ({os.cpu_count()} cores)")
        old_clean = phase(root, "old, clean stop", args.baseline_studies, old=True, kill=False)
        old_kill = phase(root, "old, SIGKILL", args.baseline_studies, old=True, kill=True)
        new_clean = phase(root, "new, clean stop", args.studies, old=False, kill=False)
        new_kill = phase(root, "new, SIGKILL", args.studies, old=False, kill=True)
    for label, new, old, target in (
        ("clean stop", new_clean, old_clean, 30),
        ("SIGKILL", new_kill, old_kill, 60),
    ):
        ratio = old["per_study"] / new["per_study"] if new["per_study"] else float("inf")
        print(
            f"{label:10s}: {new['per_study'] * 1e3:.3f} ms/study now vs"
            f" {old['per_study'] * 1e3:.3f} before ({ratio:,.0f}x faster);"
            f" 100k studies extrapolated: {new['per_study'] * TARGET:.1f}s now"
            f" (target < {target}s), {old['per_study'] * TARGET:,.0f}s before"
        )


if __name__ == "__main__":
    main()
