"""An ingest cut short (the server or the client SIGKILLed at three points) and run again
ends with the graph a clean load gives: the same nodes per label and relationships per
type, the same NEXT_STUDY chains, every study's subgraph the same (issue 11, item 4).

A few hundred studies keep these fast; `bench/faults.py` runs the same at scale.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port

from cxrkg.app.demo import demo_dir
from cxrkg.config import Settings
from cxrkg.cypher.server import EmbeddedFalkorDB
from cxrkg.cypher.store import FalkorDBStore
from cxrkg.demo.replicate import replicate
from cxrkg.ingest.load import ingest_qba
from cxrkg.ingest.model import SceneGraph
from cxrkg.ingest.sources.qba import QBASource, write_qba_tree
from cxrkg.ingest.verify import graph_differences

STUDIES = 300


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    graphs = [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]
    root = tmp_path_factory.mktemp("faults") / "qba"
    write_qba_tree(list(replicate(graphs, STUDIES)), root)
    return root


def ingest_process(home: Path, port: int, tree: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "CXRKG_HOME": str(home),
        "CXRKG_FALKORDB_PORT": str(port),
        "CXRKG_GRAPH": "cli",
        "CXRKG_BATCH_SIZE": "20",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cxrkg.app.cli", "ingest", "qba", str(tree)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("share", [0.25, 0.5, 1.0], ids=["quarter", "half", "all-written"])
@pytest.mark.parametrize("victim", ["server", "client"])
def test_an_ingest_killed_and_run_again_equals_a_clean_load(tmp_path, tree, victim, share):
    home, port = tmp_path / "home", free_port()
    settings = Settings(home=home, falkordb_port=port, graph="cli")
    server = EmbeddedFalkorDB(settings)
    try:
        server.start(progress=False)
        watcher = FalkorDBStore(settings, autostart=False)
        ingest = ingest_process(home, port, tree)
        target = int(STUDIES * share)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and ingest.poll() is None:
            try:
                n = watcher.run("MATCH (s:Study) RETURN count(s) AS n", read_only=True)[0]["n"]
            except Exception:  # noqa: BLE001 - the graph may not exist yet
                n = 0
            if n >= target:
                break
            time.sleep(0.02)
        if victim == "server":
            server.kill()
        else:
            ingest.send_signal(signal.SIGKILL)
        _, err = ingest.communicate(timeout=120)
        watcher.close()
        if victim == "server" and ingest.returncode != 0:
            assert "rerun the same command" in err and "Traceback" not in err

        # Run it again (the server first, when it was the one killed).
        time.sleep(1.1)  # appendfsync everysec: what was acknowledged >1 s ago is on disk
        store = FalkorDBStore(settings)
        store.setup_schema()
        report = ingest_qba(store, tree, progress=False)
        assert not report.rejected, report.summary()

        clean = FalkorDBStore(settings.model_copy(update={"graph": "clean"}), autostart=False)
        clean.setup_schema()
        ingest_qba(clean, tree, progress=False)
        assert graph_differences(store, clean) == []
        pending = store.run(
            "MATCH (p:Patient) WHERE p.link_pending = true RETURN count(p) AS n", read_only=True
        )
        assert pending == [{"n": 0}]
        store.close()
        clean.close()
    finally:
        server.stop(progress=False)
