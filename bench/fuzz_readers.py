"""The readers' fuzz run at a larger budget than the suite's (tests/fuzz_readers.py holds the
harness): hostile variations of real QBA, ImaGenome and report-CSV inputs through each reader
and the loader into an embedded FalkorDB of its own.

    python bench/fuzz_readers.py --qba 2000 --imagenome 1000 --reports 500 --seed 1

Prints, per reader, the cases tried, the studies accepted and rejected, and the three counts
that must be 0: tracebacks, studies stored differently from what was accepted, stored
studies changed by a rejected one (the first failures are written to --failures).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz_readers import run  # noqa: E402

from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qba", type=int, default=2000, help="QBA cases")
    parser.add_argument("--imagenome", type=int, default=1000, help="ImaGenome cases")
    parser.add_argument("--reports", type=int, default=500, help="report-CSV cases")
    parser.add_argument("--seed", type=int, default=1, help="hypothesis seed")
    parser.add_argument("--failures", type=Path, default=Path("fuzz-failures.txt"))
    args = parser.parse_args()

    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cxrkg-fuzz-") as tmp:
        settings = Settings(home=Path(tmp) / "home", falkordb_port=free_port(), graph="fuzz")
        store = FalkorDBStore(settings)
        try:
            for reader in ("qba", "imagenome", "reports"):
                budget = getattr(args, reader)
                if budget <= 0:
                    continue
                started = time.perf_counter()
                tally = run(store, reader, budget, seed=args.seed)
                print(f"{tally.line(reader)} ({time.perf_counter() - started:,.0f} s)")
                top = ", ".join(f"{k} ({v})" for k, v in tally.reasons.most_common(6))
                print(f"  most frequent rejections: {top}")
                failed += tally.tracebacks + tally.silent_changes + tally.damaged
        finally:
            store.server.stop()
            store.close()
    if failed:
        args.failures.write_text("\n\n".join(failed[:50]), encoding="utf-8")
        print(f"{len(failed)} failures; the first are in {args.failures}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
