"""The `cxrkg` command end to end: its own embedded servers, in their own homes and ports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port

from cxrkg.app.demo import demo_dir
from cxrkg.config import Settings
from cxrkg.cypher.server import EmbeddedFalkorDB
from cxrkg.demo.replicate import replicate
from cxrkg.ingest.model import SceneGraph
from cxrkg.ingest.sources.qba import QBASource, write_qba_tree


def cxrkg(
    home: Path, port: int, *args: str, check: bool = True, **env_vars: str
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CXRKG_HOME": str(home),
        "CXRKG_FALKORDB_PORT": str(port),
        "CXRKG_GRAPH": "cli",
        "CXRKG_BACKEND": "falkordb",
        **env_vars,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "cxrkg.app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"cxrkg {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


@pytest.fixture()
def home(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    home, port = tmp_path / "home", free_port()
    yield home, port
    EmbeddedFalkorDB(Settings(home=home, falkordb_port=port)).stop()


def count_rows(home: Path, port: int, cypher: str) -> int:
    out = cxrkg(home, port, "query", cypher, "--json").stdout.strip().splitlines()
    return json.loads(out[0])["n"]


def test_demo_loads_the_sample_and_the_left_lung_query_counts_observations(home):
    h, port = home
    out = cxrkg(h, port, "demo").stdout
    assert "22 studies loaded" in out and "explore/observations_in_region" in out
    assert "QA generation: 22 studies" in out and "example question" in out
    with zipfile.ZipFile(h / "demo-qa" / "qa.zip") as zf:
        assert "qa/p10/p10000004/s50000008.qa.json" in zf.namelist()
    n = count_rows(
        h,
        port,
        "MATCH (o:Observation)-[:LOCATED_AT]->(r:StudyRegion "
        "{region:'left lung'}) RETURN count(o) AS n",
    )
    assert n > 0


def test_db_start_stop_status_and_data_survive_a_restart(home):
    h, port = home
    assert cxrkg(h, port, "db", "status", check=False).returncode == 3
    assert "running" in cxrkg(h, port, "db", "start").stdout
    assert (h / "falkordb" / "redis.pid").is_file()
    cxrkg(h, port, "ingest", "qba", str(demo_dir()))
    assert "stopped" in cxrkg(h, port, "db", "stop").stdout
    assert cxrkg(h, port, "db", "status", check=False).returncode == 3
    # Any command that needs the store starts it again; the data is still there.
    assert count_rows(h, port, "MATCH (s:Study) RETURN count(s) AS n") == 22


def test_two_homes_on_two_ports_run_side_by_side(tmp_path):
    a, b = (tmp_path / "a", free_port()), (tmp_path / "b", free_port())
    try:
        cxrkg(*a, "ingest", "qba", str(demo_dir()))
        cxrkg(*b, "query", "RETURN 1 AS n")
        assert count_rows(*a, "MATCH (s:Study) RETURN count(s) AS n") == 22
        assert count_rows(*b, "MATCH (s:Study) RETURN count(s) AS n") == 0
        # A home pointed at a port served by another home's data is refused.
        clash = cxrkg(tmp_path / "c", a[1], "query", "RETURN 1 AS n", check=False)
        assert clash.returncode != 0 and "CXRKG_FALKORDB_PORT" in clash.stderr
    finally:
        for h, port in (a, b):
            EmbeddedFalkorDB(Settings(home=h, falkordb_port=port)).stop()


def test_query_is_read_only_and_takes_parameters(home):
    h, port = home
    cxrkg(h, port, "ingest", "qba", str(demo_dir()))
    refused = cxrkg(h, port, "query", "CREATE (:Patient {patient_id: 'x'})", check=False)
    assert refused.returncode == 1 and "read-only runs cannot write" in refused.stderr
    assert "Traceback" not in refused.stderr
    rows = (
        cxrkg(
            h,
            port,
            "query",
            "explore/observations_in_region",
            "-p",
            "region=left lung",
            "-p",
            "limit=2",
            "--json",
        )
        .stdout.strip()
        .splitlines()
    )
    assert [json.loads(r)["study_id"] for r in rows] == ["s50000008", "s50000017"]
    listed = cxrkg(h, port, "query", "--list").stdout
    assert "explore/studies_with_finding" in listed and "$finding" in listed


def test_query_stops_at_the_default_time_limit_and_the_memory_cap_with_a_message(home):
    h, port = home
    cxrkg(h, port, "ingest", "qba", str(demo_dir()))
    slow = cxrkg(
        h,
        port,
        "query",
        "UNWIND range(1, 3000) AS i MATCH (a), (b) RETURN count(*) AS n",
        check=False,
        CXRKG_QUERY_TIMEOUT_S="1",
    )
    assert slow.returncode == 1 and "Traceback" not in slow.stderr
    assert "ran past its time limit (1 s)" in slow.stderr
    big = cxrkg(
        h, port, "query", "UNWIND range(1, 20000000) AS x RETURN size(collect(x))", check=False
    )
    assert big.returncode == 1 and "Traceback" not in big.stderr
    assert "needed more memory than a query may use" in " ".join(big.stderr.split())
    assert count_rows(h, port, "MATCH (s:Study) RETURN count(s) AS n") == 22


def test_ingest_verify_reports_a_study_changed_in_the_graph_instead_of_unchanged(home):
    from cxrkg.cypher.store import FalkorDBStore

    h, port = home
    cxrkg(h, port, "ingest", "qba", str(demo_dir()))
    store = FalkorDBStore(Settings(home=h, falkordb_port=port, graph="cli"), autostart=False)
    store.run("MATCH (s:Study {study_id: 's50000008'}) SET s.grade = 'F'")
    store.close()
    assert "22 unchanged" in cxrkg(h, port, "ingest", "qba", str(demo_dir())).stdout
    out = " ".join(cxrkg(h, port, "ingest", "qba", str(demo_dir()), "--verify").stdout.split())
    assert "1 studies loaded, 21 unchanged" in out
    assert "1 stored studies differed from their source and were written again" in out
    assert "s50000008: Study s50000008: grade is 'F' in the graph" in out


def test_ingest_exit_status_and_summary_name_the_rejected_study(home, tmp_path):
    h, port = home
    root = tmp_path / "qba"
    shutil.copytree(demo_dir(), root)
    bad = root / "p10/p10000004/s50000008.scene_graph.json"
    bad.write_text("{not json")
    proc = cxrkg(h, port, "ingest", "qba", str(root), check=False)
    assert proc.returncode == 2
    assert "21 studies loaded" in proc.stdout and "1 rejected" in proc.stdout
    assert "s50000008" in proc.stdout and "malformed JSON" in proc.stdout
    strict = cxrkg(h, port, "ingest", "qba", str(root), "--strict", check=False)
    assert strict.returncode == 2 and "--strict" in strict.stderr
    stats = json.loads(cxrkg(h, port, "stats", "--json").stdout)
    assert stats["nodes"]["Study"] == 21


def test_a_server_killed_mid_ingest_keeps_what_was_committed_and_the_rerun_completes(
    home, tmp_path
):
    h, port = home
    graphs = [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]
    many = list(replicate(graphs, 1000))
    root = tmp_path / "many"
    write_qba_tree(many, root)
    server = EmbeddedFalkorDB(Settings(home=h, falkordb_port=port))
    cxrkg(h, port, "db", "start")
    env = {
        **os.environ,
        "CXRKG_HOME": str(h),
        "CXRKG_FALKORDB_PORT": str(port),
        "CXRKG_GRAPH": "cli",
        "CXRKG_BATCH_SIZE": "50",
    }
    ingest = subprocess.Popen(
        [sys.executable, "-m", "cxrkg.app.cli", "ingest", "qba", str(root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    probe = redis_count(port, h)
    deadline = time.monotonic() + 120
    while probe() < 200 and time.monotonic() < deadline:  # let some batches commit
        time.sleep(0.05)
    server.kill()  # SIGKILL: no chance to save
    out, err = ingest.communicate(timeout=120)
    assert ingest.returncode != 0
    assert "rerun the same command" in err and "Traceback" not in err
    time.sleep(1.2)  # appendfsync everysec: what was acknowledged >1 s ago is on disk
    server.start()
    committed = probe()
    assert committed > 0
    # Every study that survived is whole: as many observations as its scene graph.
    rows = _study_obs_counts(h, port)
    expected = {g.study_id: len(g.observations) for g in many}
    assert rows and all(expected[sid] == n for sid, n in rows.items())
    rerun = cxrkg(h, port, "ingest", "qba", str(root))
    assert " 0 rejected" in rerun.stdout and f"{committed:,} unchanged" in rerun.stdout
    assert _study_obs_counts(h, port) == expected


def _study_obs_counts(home: Path, port: int) -> dict[str, int]:
    out = cxrkg(
        home,
        port,
        "query",
        "MATCH (s:Study) OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(o)"
        " RETURN s.study_id AS id, count(o) AS n",
        "--json",
    ).stdout
    return {json.loads(line)["id"]: json.loads(line)["n"] for line in out.strip().splitlines()}


def redis_count(port: int, home: Path):  # noqa: ANN201
    import falkordb
    import redis

    password = EmbeddedFalkorDB(Settings(home=home, falkordb_port=port)).password()

    def probe() -> int:
        try:
            g = falkordb.FalkorDB(port=port, password=password).select_graph("cli")
            return g.ro_query("MATCH (s:Study) RETURN count(s)").result_set[0][0]
        except (redis.RedisError, OSError, IndexError):
            return 0

    return probe
