"""FalkorDB through its native client: the embedded default (`cypher/server.py` runs it)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from cxrkg.config import Settings
from cxrkg.cypher.store.errors import (
    QueryLimitExceeded,
    ReadOnlyViolation,
    StoreBusy,
    StoreDiskFull,
    StoreError,
    StoreUnavailable,
    query_label,
)
from cxrkg.cypher.store.interface import GraphStore
from cxrkg.cypher.store.params import EncodedParams, cypher_params_body
from cxrkg.cypher.store.results import from_falkordb
from cxrkg.cypher.store.schema import NODE_KEYS, schema_statements

# Property names written literally in a query: map keys and `.name` accesses.
_LITERAL_KEYS = re.compile(
    r"(?:[{,]\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(?!:))|(?:\.\s*([A-Za-z_][A-Za-z0-9_]*))"
)
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')


class FalkorDBStore(GraphStore):
    backend = "falkordb"

    # A reply value as plain Python (GraphNode/GraphRel/GraphPath for graph values).
    _convert = staticmethod(from_falkordb)

    def __init__(self, settings: Settings, *, autostart: bool = True, progress: bool = True):
        super().__init__(settings)
        import falkordb
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from cxrkg.cypher.server import EmbeddedFalkorDB

        self._redis = redis
        self.server = EmbeddedFalkorDB(settings)
        if autostart:
            self.server.start(progress=progress)
        try:
            # One quick retry, no backoff: a dead server is reported at once, not after
            # redis-py's default backoff schedule.
            self.db = falkordb.FalkorDB(
                host=settings.falkordb_host,
                port=settings.falkordb_port,
                password=self.server.password(),
                socket_connect_timeout=5,
                retry=Retry(NoBackoff(), 1),
            )
            self.db.connection.ping()
        except redis.AuthenticationError as exc:
            raise StoreUnavailable(
                f"FalkorDB at {settings.falkordb_host}:{settings.falkordb_port} refused this"
                f" home's password ({self.server.password_file}): it is another home's server;"
                " set CXRKG_FALKORDB_PORT to this home's port"
            ) from exc
        except (redis.ConnectionError, OSError) as exc:
            raise StoreUnavailable(
                f"cannot reach FalkorDB at {settings.falkordb_host}:{settings.falkordb_port}"
                f" ({exc}); start it with `cxrkg db start`"
            ) from exc
        self.graph = self.db.select_graph(settings.graph)
        self._known_keys: set[str] = set()
        self.serializes_json = self._load_functions()

    def _load_functions(self) -> bool:
        """Load (or replace) cxrkg's function library (`cypher/udf/cxrkg.js`); False on a
        server without user-defined functions, whose queries then run without them."""
        from cxrkg.cypher.queries import queries_root

        script = (queries_root() / "udf" / "cxrkg.js").read_text(encoding="utf-8")
        try:
            self.db.connection.execute_command("GRAPH.UDF", "LOAD", "REPLACE", "cxrkg", script)
        except self._redis.ResponseError:
            return False
        return True

    def _register_keys(self, query: str) -> None:
        """Make sure every property name the query writes literally already exists.

        FalkorDB caches a query's plan with its property names resolved to ids. If a
        statement that introduced a new name fails, the rollback drops the name but the
        cached plan keeps its id, and the next run of the same text stores values under
        whatever name takes that id next. Registering names in a separate statement that
        succeeds keeps them out of any rollback. (The statement is built from the names,
        so it cannot be a named file.)
        """
        text = _STRINGS.sub("''", query)
        keys = {a or b for a, b in _LITERAL_KEYS.findall(text)} - self._known_keys
        if not keys:
            return
        assignments = ", ".join(f"k.`{k}` = 0" for k in sorted(keys))
        self.graph.query(f"CREATE (k:CxrkgKeyRegistry) SET {assignments} DELETE k")
        self._known_keys |= keys

    def encode_params(self, params: dict[str, Any]) -> EncodedParams:
        return EncodedParams(params, cypher_params_body(params))

    def run(
        self,
        query: str,
        params: dict[str, Any] | EncodedParams | None = None,
        *,
        read_only: bool = False,
        timeout_ms: int | None = None,
        name: str | None = None,
    ) -> list[dict[str, Any]]:
        redis = self._redis
        timeout_ms = self.read_timeout_ms(timeout_ms, read_only)
        try:
            if not read_only:
                self._register_keys(query)
            if not isinstance(params, EncodedParams):
                params = self.encode_params(params or {})
            if params.text is not None:  # else the falkordb client encodes them
                query = f"CYPHER {params.text} {query}" if params.text else query
                params = None
            else:
                params = params.params
            if read_only:
                result = self.graph.ro_query(query, params, timeout=timeout_ms)
            else:
                result = self.graph.query(query, params, timeout=timeout_ms)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(
                f"FalkorDB at {self.settings.falkordb_host}:{self.settings.falkordb_port} did not"
                f" answer the {query_label(name)} ({exc}); is it running? `cxrkg db status`"
            ) from exc
        except redis.ResponseError as exc:
            msg = str(exc)
            if read_only and "read-only" in msg.lower():
                raise ReadOnlyViolation(
                    f"the {query_label(name)} writes to the graph, and read-only runs cannot write"
                    " (FalkorDB refused it under GRAPH.RO_QUERY)"
                ) from exc
            if "empty key" in msg.lower() or "invalid graph operation on empty key" in msg.lower():
                return []  # the graph does not exist yet: nothing to read
            raise self._explain(msg, name, timeout_ms) from exc
        header = [str(h[1] if isinstance(h, list | tuple) else h) for h in (result.header or [])]
        return [
            dict(zip(header, map(from_falkordb, row), strict=False)) for row in result.result_set
        ]

    def _explain(self, msg: str, name: str | None, timeout_ms: int | None) -> StoreError:
        """The database's refusal as the error a user can act on."""
        low = msg.lower()
        if "timed out" in low:
            limit = f"{timeout_ms / 1000:g} s" if timeout_ms else "its"
            return QueryLimitExceeded(
                f"the {query_label(name)} ran past its time limit ({limit}) and was stopped;"
                " narrow it, or allow more time (`cxrkg query --timeout MS`,"
                " CXRKG_QUERY_TIMEOUT_S)"
            )
        if "mem consumption exceeded" in low:
            return QueryLimitExceeded(
                f"the {query_label(name)} needed more memory than a query may use"
                f" ({self.settings.query_memory_mb} MB) and was stopped; narrow it (a LIMIT,"
                " fewer rows collected) or raise CXRKG_QUERY_MEMORY_MB"
            )
        if "max pending queries" in low:
            return StoreBusy(
                f"FalkorDB is busy ({self.settings.falkordb_max_queued} queries already wait"
                f" for a thread) and refused the {query_label(name)}; try again in a moment"
            )
        if low.startswith("misconf") or "errors writing to the aof" in low:
            free = _free_mib(self.settings.falkordb_dir)
            return StoreDiskFull(
                f"FalkorDB refuses writes because it cannot write its files ({msg});"
                f" {free:.1f} MiB free on the disk holding {self.settings.falkordb_dir}:"
                " free some space and run the command again"
            )
        if "noauth" in low or "wrongpass" in low:
            return StoreUnavailable(
                f"FalkorDB refused the {query_label(name)}: not signed in ({msg}); the password"
                f" is in {self.server.password_file}"
            )
        return StoreError(f"FalkorDB rejected the {query_label(name)}: {msg}")

    def _apply_schema(self) -> None:
        for stmt in schema_statements(self.backend):
            try:
                self.graph.query(stmt)
            except self._redis.ResponseError as exc:
                if "already indexed" not in str(exc).lower():
                    raise StoreError(f"FalkorDB rejected schema statement {stmt!r}: {exc}") from exc
        existing = {
            (c.get("label"), tuple(c.get("properties", ())))
            for c in self._constraints()
            if c.get("type") == "UNIQUE"
        }
        for label, props in sorted(existing):
            # A key an older cxrkg used (Question.question_id before ids became per study).
            if label in NODE_KEYS and props != (NODE_KEYS[label],):
                with contextlib.suppress(self._redis.ResponseError):
                    self.graph.drop_node_unique_constraint(label, *props)
        for label, prop in NODE_KEYS.items():
            if (label, (prop,)) in existing:
                continue
            try:
                self.graph.create_node_unique_constraint(label, prop)
            except self._redis.ResponseError as exc:
                if "already exists" not in str(exc).lower():
                    raise StoreError(
                        f"FalkorDB could not add the {label}.{prop} constraint: {exc}"
                    ) from exc

    def _constraints(self) -> list[dict[str, Any]]:
        """The graph's constraints, through the client's own call of FalkorDB's
        `db.constraints()` (a procedure Neo4j 5 does not have); none when it cannot tell."""
        redis = self._redis
        try:
            return self.graph.list_constraints()
        except (redis.ResponseError, redis.ConnectionError, redis.TimeoutError):
            return []

    def clear(self) -> None:
        self._known_keys.clear()
        with contextlib.suppress(self._redis.ResponseError):  # no graph yet
            self.graph.delete()
        self.graph = self.db.select_graph(self.settings.graph)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a dead connection is fine
            self.db.connection.close()

    def memory_bytes(self) -> int | None:
        try:
            reply = self.db.connection.execute_command("GRAPH.MEMORY", "USAGE", self.settings.graph)
            pairs = dict(zip(reply[::2], reply[1::2], strict=False))
            total = pairs.get(b"total_graph_sz_mb", pairs.get("total_graph_sz_mb"))
            if total is not None:
                return int(float(total) * 2**20)
        except self._redis.ResponseError:
            pass
        return int(self.db.connection.info("memory")["used_memory"])

    def describe(self) -> str:
        return (
            f"FalkorDB graph {self.settings.graph!r} at "
            f"{self.settings.falkordb_host}:{self.settings.falkordb_port}"
        )


def _free_mib(path: Any) -> float:
    import shutil
    from pathlib import Path

    for candidate in (Path(path), *Path(path).parents):
        with contextlib.suppress(OSError):
            return shutil.disk_usage(candidate).free / 2**20
    return 0.0
