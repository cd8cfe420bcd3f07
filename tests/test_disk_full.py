"""A full disk under the embedded store: `ingest`, `db status` and `db stop` say so in
words, nothing ends in a traceback, and once space is freed a rerun ends equal to a
clean load (issue 11, item 6). The disk is a small tmpfs (needs permission to mount)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port
from test_cli import cxrkg

from cxrkg.app.demo import demo_dir
from cxrkg.config import Settings
from cxrkg.cypher.server import EmbeddedFalkorDB
from cxrkg.cypher.store import FalkorDBStore
from cxrkg.demo.replicate import replicate
from cxrkg.ingest.load import ingest_qba
from cxrkg.ingest.model import SceneGraph
from cxrkg.ingest.sources.qba import QBASource, write_qba_tree
from cxrkg.ingest.verify import graph_differences


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A ballast file that leaves `leave` bytes free on the disk."""
    ballast = disk / "ballast"
    stat = os.statvfs(disk)
    with ballast.open("wb") as fh:
        fh.write(b"\0" * max(stat.f_bavail * stat.f_frsize - leave, 0))
    return ballast


def test_a_full_disk_is_reported_in_words_and_the_rerun_completes(small_disk, tmp_path):
    home, port = small_disk / "home", free_port()
    server = EmbeddedFalkorDB(Settings(home=home, falkordb_port=port))
    graphs = [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]
    more = tmp_path / "more"
    write_qba_tree(list(replicate(graphs, 150)), more)
    try:
        cxrkg(home, port, "ingest", "qba", str(demo_dir()))
        ballast = fill(small_disk, leave=16 * 1024)

        ingest = cxrkg(home, port, "ingest", "qba", str(more), check=False)
        assert ingest.returncode == 2 and "Traceback" not in ingest.stderr
        words = " ".join(ingest.stderr.split())
        assert "stopped accepting writes" in words and "No space left on device" in words
        assert "MiB free on the disk holding" in words and "rerun" in words

        status = cxrkg(home, port, "db", "status", check=False)
        assert status.returncode == 0 and "Traceback" not in status.stderr
        assert "cannot write its files" in status.stdout

        stop = cxrkg(home, port, "db", "stop", check=False)
        assert stop.returncode == 1 and "Traceback" not in stop.stderr
        words = " ".join(stop.stderr.split())
        assert "could not save its data" in words and "--force" in words
        assert server.ping(), "a refused stop must leave the server running"

        ballast.unlink()  # space again: the server writes what it holds, and stops
        assert "stopped" in cxrkg(home, port, "db", "stop").stdout
        fill(small_disk, leave=0)
        start = cxrkg(home, port, "db", "start", check=False)
        assert start.returncode == 1 and "Traceback" not in start.stderr
        assert "full" in start.stderr or "No space" in start.stderr
        (small_disk / "ballast").unlink()

        rerun = cxrkg(home, port, "ingest", "qba", str(more))
        assert " 0 rejected" in rerun.stdout
        settings = Settings(home=home, falkordb_port=port, graph="cli")
        store = FalkorDBStore(settings, autostart=False)
        clean = FalkorDBStore(settings.model_copy(update={"graph": "clean"}), autostart=False)
        clean.setup_schema()
        ingest_qba(clean, demo_dir(), progress=False)
        ingest_qba(clean, more, progress=False)
        assert graph_differences(store, clean) == []
        store.close()
        clean.close()
    finally:
        (small_disk / "ballast").unlink(missing_ok=True)
        server.stop(progress=False, force=True)
