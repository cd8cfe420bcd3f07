"""QA release runs as Ray tasks: the same studies with 1 and 2 Ray workers (a local cluster
of 1, then 2 CPUs), against a run in this process, and the time projected for QBA's 227,239
studies on N machines from the measured per-study cost.

    python bench/ray_qa.py                       # 300 replicated demo studies
    python bench/ray_qa.py --studies 1000 --part-size 50

Each run writes the whole release (parts, then the merge); the script checks that the three
releases are byte-identical before it prints any figure. The merge (serial, after the
parts) is timed on its own: it is the part of a run that more machines do not shorten.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import ray  # noqa: E402

from cxrkg.app.demo import demo_dir  # noqa: E402
from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore  # noqa: E402
from cxrkg.demo.replicate import replicate  # noqa: E402
from cxrkg.ingest.load import load_scene_graphs  # noqa: E402
from cxrkg.ingest.model import SceneGraph  # noqa: E402
from cxrkg.ingest.sources.qba import QBASource  # noqa: E402
from cxrkg.qa_gen.export import ReleaseOptions  # noqa: E402
from cxrkg.qa_gen.generate import all_study_ids, generate_qa  # noqa: E402
from cxrkg.qa_gen.run import RunOptions, merge_release  # noqa: E402

QBA_STUDIES = 227_239


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and "parts" not in p.relative_to(out).parts
    }


def warm_up(settings: Settings, cpus: int) -> None:
    """Start the cluster's workers and import cxrkg in them before the clock starts."""

    def touch(s: Settings) -> int:
        from cxrkg.cypher.store import open_store
        from cxrkg.qa_gen import run  # noqa: F401

        open_store(s, autostart=False, schema=False).close()
        return os.getpid()

    task = ray.remote(num_cpus=1)(touch)
    ray.get([task.remote(settings) for _ in range(cpus)])


def timed_run(store: FalkorDBStore, out: Path, run: RunOptions, seed: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    report = generate_qa(
        store,
        None,
        out,
        seed=seed,
        release=ReleaseOptions(seed=seed, subset_size=10_000),
        run=run,
    )
    return time.perf_counter() - t0, report.questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=300)
    parser.add_argument("--part-size", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cores-per-machine", type=int, default=2)
    args = parser.parse_args()
    demo = [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), falkordb_port=free_port(), graph="bench_ray")
        store = FalkorDBStore(settings)
        try:
            store.setup_schema()
            load_scene_graphs(store, list(replicate(demo, args.studies)), progress=False)
            n = len(all_study_ids(store))
            runs: dict[str, tuple[float, int]] = {}
            runs["this process"] = timed_run(
                store, Path(tmp) / "local", RunOptions(part_size=args.part_size), args.seed
            )
            for cpus in (1, 2):
                ray.init(
                    num_cpus=cpus,
                    include_dashboard=False,
                    configure_logging=False,
                    log_to_driver=False,
                    object_store_memory=200 * 1024 * 1024,
                )
                warm_up(settings, cpus)
                runs[f"Ray, {cpus} worker{'s' if cpus > 1 else ''}"] = timed_run(
                    store,
                    Path(tmp) / f"ray{cpus}",
                    RunOptions(executor="ray", part_size=args.part_size, keep_parts=True),
                    args.seed,
                )
                ray.shutdown()
            t0 = time.perf_counter()
            merge_release([Path(tmp) / "ray2"], Path(tmp) / "merged")
            t_merge = time.perf_counter() - t0
            want = files(Path(tmp) / "local")
            for name in ("ray1", "ray2", "merged"):
                assert files(Path(tmp) / name) == want, f"{name}: not the same release"
        finally:
            store.server.stop()
            store.close()

    load = os.getloadavg()[0]
    questions = runs["this process"][1]
    print(
        f"{n:,} studies, {questions:,} QA pairs, parts of {args.part_size};"
        f" load average {load:.1f} at the end\n"
    )
    print("| run | seconds | studies/s | QA pairs/s |")
    print("| --- | ---: | ---: | ---: |")
    for label, (seconds, questions) in runs.items():
        print(f"| {label} | {seconds:.1f} | {n / seconds:.1f} | {questions / seconds:,.0f} |")
    t1, t2 = runs["Ray, 1 worker"][0], runs["Ray, 2 workers"][0]
    print(f"\n2 workers vs 1: {t1 / t2:.2f}x; the merge alone: {t_merge:.1f}s")

    # Per study: what a worker spends (1-worker run less its merge), and the serial merge.
    worker_s = (t1 - t_merge) / n
    merge_s = t_merge / n
    efficiency = min(1.0, (t1 - t_merge) / (t2 - t_merge) / 2)
    print(
        f"\nprojected for QBA ({QBA_STUDIES:,} studies; {worker_s * 1000:.0f} ms per study and"
        f" worker, {merge_s * 1000:.1f} ms per study of merge, parallel efficiency"
        f" {efficiency:.2f} as measured), {args.cores_per_machine} cores per machine:\n"
    )
    print("| machines | workers | hours |")
    print("| ---: | ---: | ---: |")
    for machines in (1, 4, 16, 64):
        workers = machines * args.cores_per_machine
        hours = (QBA_STUDIES * worker_s / (workers * efficiency) + QBA_STUDIES * merge_s) / 3600
        print(f"| {machines} | {workers} | {hours:.1f} |")


if __name__ == "__main__":
    main()
