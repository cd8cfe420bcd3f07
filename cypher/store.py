"""The graph store: one small interface over FalkorDB (embedded default) and Neo4j 5.

    store = open_store()                       # from the settings; starts FalkorDB if needed
    rows = store.run("MATCH (s:Study) RETURN s.study_id AS id LIMIT 3", read_only=True)
    rows = store.run_named("explore/studies_with_finding", {"finding": "pleural effusion"})
    store.write_batches("UNWIND $rows AS r MERGE (:Patient {patient_id: r.id})", rows)

Rows come back as dicts of plain Python values; nodes, relationships and paths as the
`GraphNode`, `GraphRel` and `GraphPath` records below, the same for both backends.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cxrkg.config import Settings, get_settings
from cxrkg.cypher.queries import NamedQuery, load_query, queries_root, statements

# The key property of each node label. FalkorDB gets exact-match indexes plus uniqueness
# constraints on these; Neo4j gets the constraints in cypher/schema/neo4j.cypher.
NODE_KEYS: dict[str, str] = {
    "Patient": "patient_id",
    "Study": "study_id",
    "Image": "image_id",
    "Sentence": "key",
    "Observation": "key",
    "StudyRegion": "key",
    "Indication": "key",
    "Finding": "name",
    "Anatomy": "name",
    "Category": "name",
    "Question": "key",  # study_id/question_id: question ids are unique within a study
    "Answer": "key",  # study_id/question_id/answer_id
    "Meta": "key",
}


class StoreError(RuntimeError):
    """A query failed; the message names the query and the database's own reason."""


class StoreUnavailable(StoreError):
    """The database cannot be reached."""


class StoreDiskFull(StoreUnavailable):
    """The database cannot write its files (a full disk): it refuses every write."""


class ReadOnlyViolation(StoreError):
    """A query that writes was run through a read-only run."""


class QueryLimitExceeded(StoreError):
    """A query ran past its time limit or its memory limit and was stopped."""


class StoreBusy(StoreError):
    """Too many queries are waiting for the database; try again in a moment."""


@dataclass(frozen=True)
class GraphNode:
    id: str
    labels: tuple[str, ...]
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"_id": self.id, "_labels": list(self.labels), **self.properties}


@dataclass(frozen=True)
class GraphRel:
    id: str
    type: str
    start: str
    end: str
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "_type": self.type,
            "_start": self.start,
            "_end": self.end,
            **self.properties,
        }


@dataclass(frozen=True)
class GraphPath:
    nodes: tuple[GraphNode, ...]
    rels: tuple[GraphRel, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "nodes": [n.to_json() for n in self.nodes],
            "rels": [r.to_json() for r in self.rels],
        }


def to_jsonable(value: Any) -> Any:
    """Rows with graph records turned into JSON-ready values."""
    if isinstance(value, GraphNode | GraphRel | GraphPath):
        return value.to_json()
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


_WRITE_HINT = re.compile(r"\b(CREATE|MERGE|DELETE|SET|REMOVE|DROP)\b", re.IGNORECASE)
# Property names written literally in a query: map keys and `.name` accesses.
_LITERAL_KEYS = re.compile(
    r"(?:[{,]\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(?!:))|(?:\.\s*([A-Za-z_][A-Za-z0-9_]*))"
)
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')


class GraphStore(ABC):
    """Run named or literal Cypher; batched writes; schema set-up."""

    backend: str

    def __init__(self, settings: Settings):
        self.settings = settings

    # -- queries ---------------------------------------------------------------------
    @abstractmethod
    def run(
        self,
        query: str,
        params: dict[str, Any] | EncodedParams | None = None,
        *,
        read_only: bool = False,
        timeout_ms: int | None = None,
        name: str | None = None,
    ) -> list[dict[str, Any]]:
        """Run one statement and return its rows."""

    def encode_params(self, params: dict[str, Any]) -> EncodedParams:
        """Encode parameters now for a later `run` (the backend's wire form where it has one)."""
        return EncodedParams(params)

    def run_named(
        self,
        name: str | NamedQuery,
        params: dict[str, Any] | EncodedParams | None = None,
        *,
        read_only: bool = False,
        timeout_ms: int | None = None,
    ) -> list[dict[str, Any]]:
        query = name if isinstance(name, NamedQuery) else load_query(name)
        return self.run(
            query.text, params, read_only=read_only, timeout_ms=timeout_ms, name=query.name
        )

    def write_batches(
        self,
        query: str | NamedQuery,
        rows: Iterable[dict[str, Any]],
        batch_size: int | None = None,
        param: str = "rows",
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Run `query` once per batch with the batch as `$rows`; returns rows written."""
        q = query if isinstance(query, NamedQuery) else None
        text = q.text if q else str(query)
        size = batch_size or self.settings.batch_size
        done = 0
        for batch in _batched(rows, size):
            self.run(text, {**(extra or {}), param: batch}, name=q.name if q else None)
            done += len(batch)
        return done

    def read_timeout_ms(self, timeout_ms: int | None, read_only: bool) -> int | None:
        """A read's time limit: the one asked for, else the configured default.
        Writes get none: a write stopped half way is rolled back, and cxrkg's writes
        are bounded by their batch size instead."""
        if timeout_ms is not None:
            return timeout_ms
        if read_only and self.settings.query_timeout_s > 0:
            return int(self.settings.query_timeout_s * 1000)
        return None

    def setup_schema(self, *, force: bool = False) -> bool:
        """Create indexes and constraints unless the graph already has this schema
        (a digest of the schema files kept in the graph). Returns True if it ran."""
        digest = self.schema_digest()
        if not force:
            rows = self.run_named("schema/digest", read_only=True)
            if rows and rows[0]["digest"] == digest:
                return False
        self._apply_schema()
        self.run_named("schema/set_digest", {"digest": digest})
        return True

    def schema_digest(self) -> str:
        text = (queries_root() / "schema" / f"{self.backend}.cypher").read_text(encoding="utf-8")
        payload = json.dumps([text, sorted(NODE_KEYS.items())])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    @abstractmethod
    def _apply_schema(self) -> None:
        """Create indexes and constraints (idempotent)."""

    @abstractmethod
    def clear(self) -> None:
        """Delete the whole graph (tests, `cxrkg db reset`)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def memory_bytes(self) -> int | None:
        """Memory the store uses for this graph, where the backend can tell."""

    # -- graph version, for caches that must notice writes ---------------------------
    def version(self) -> int:
        rows = self.run("MATCH (m:Meta {key: 'graph'}) RETURN m.version AS v", read_only=True)
        return int(rows[0]["v"]) if rows and rows[0]["v"] is not None else 0

    def bump_version(self) -> int:
        rows = self.run(
            "MERGE (m:Meta {key: 'graph'}) "
            "SET m.version = coalesce(m.version, 0) + 1 RETURN m.version AS v"
        )
        return int(rows[0]["v"])

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        return f"{self.backend} graph {self.settings.graph!r}"


def _batched(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)":')
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENT_KEY = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)":')
_LEFT_KEY = re.compile(r'(?<!\\)":')
# JSON escapes FalkorDB's parser does not read back as the same character.
_UNSAFE_ESCAPES = ("\\u", "\\r", "\\b", "\\f")


def _cypher_key(match: re.Match[str]) -> str:
    key = match.group(1)
    if _IDENT.fullmatch(key):
        return key + ":"
    return "`" + json.loads(f'"{key}"').replace("`", "``") + "`:"


def cypher_params_body(params: dict[str, Any]) -> str | None:
    """`name=value ...` for FalkorDB's `CYPHER` prefix, built by the C JSON encoder (the
    falkordb client's pure-Python one costs ~1 ms per study). None when a value needs an
    escape FalkorDB reads differently; the caller then lets the client serialize."""
    parts = []
    for name, value in params.items():
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        if any(esc in text for esc in _UNSAFE_ESCAPES):
            return None
        # Fast path: identifier keys by a template (no Python call per key). A key left
        # over (an unescaped `":`, or one ending in a backslash) takes the general path.
        fast = _IDENT_KEY.sub(r"\1:", text)
        if _LEFT_KEY.search(fast) or '\\\\":' in fast:
            fast = _JSON_KEY.sub(_cypher_key, text)
        parts.append(f"{name}={fast}")
    return " ".join(parts)


@dataclass(frozen=True)
class EncodedParams:
    """Parameters encoded for the wire ahead of time, so that encoding a batch can overlap
    the write of the previous one (`GraphStore.encode_params`)."""

    params: dict[str, Any]
    text: str | None = None  # FalkorDB: the `name=value ...` body; None: encode when run

    def __add__(self, other: EncodedParams) -> EncodedParams:
        text = (
            f"{self.text} {other.text}".strip()
            if self.text is not None and other.text is not None
            else None
        )
        return EncodedParams({**self.params, **other.params}, text)


def _label(name: str | None) -> str:
    return f"query {name!r}" if name else "query"


# ------------------------------------------------------------------------------------
# FalkorDB
# ------------------------------------------------------------------------------------
class FalkorDBStore(GraphStore):
    backend = "falkordb"

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

    def _register_keys(self, query: str) -> None:
        """Make sure every property name the query writes literally already exists.

        FalkorDB caches a query's plan with its property names resolved to ids. If a
        statement that introduced a new name fails, the rollback drops the name but the
        cached plan keeps its id, and the next run of the same text stores values under
        whatever name takes that id next. Registering names in a separate statement that
        succeeds keeps them out of any rollback.
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
                f" answer the {_label(name)} ({exc}); is it running? `cxrkg db status`"
            ) from exc
        except redis.ResponseError as exc:
            msg = str(exc)
            if read_only and "read-only" in msg.lower():
                raise ReadOnlyViolation(
                    f"the {_label(name)} writes to the graph, and read-only runs cannot write"
                    " (FalkorDB refused it under GRAPH.RO_QUERY)"
                ) from exc
            if "empty key" in msg.lower() or "invalid graph operation on empty key" in msg.lower():
                return []  # the graph does not exist yet: nothing to read
            raise self._explain(msg, name, timeout_ms) from exc
        header = [h[1] if isinstance(h, list | tuple) else h for h in (result.header or [])]
        return [
            {str(col): self._convert(val) for col, val in zip(header, row, strict=False)}
            for row in result.result_set
        ]

    def _explain(self, msg: str, name: str | None, timeout_ms: int | None) -> StoreError:
        """The database's refusal as the error a user can act on."""
        low = msg.lower()
        if "timed out" in low:
            limit = f"{timeout_ms / 1000:g} s" if timeout_ms else "its"
            return QueryLimitExceeded(
                f"the {_label(name)} ran past its time limit ({limit}) and was stopped;"
                " narrow it, or allow more time (`cxrkg query --timeout MS`,"
                " CXRKG_QUERY_TIMEOUT_S)"
            )
        if "mem consumption exceeded" in low:
            return QueryLimitExceeded(
                f"the {_label(name)} needed more memory than a query may use"
                f" ({self.settings.query_memory_mb} MB) and was stopped; narrow it (a LIMIT,"
                " fewer rows collected) or raise CXRKG_QUERY_MEMORY_MB"
            )
        if "max pending queries" in low:
            return StoreBusy(
                f"FalkorDB is busy ({self.settings.falkordb_max_queued} queries already wait"
                f" for a thread) and refused the {_label(name)}; try again in a moment"
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
                f"FalkorDB refused the {_label(name)}: not signed in ({msg}); the password is in"
                f" {self.server.password_file}"
            )
        return StoreError(f"FalkorDB rejected the {_label(name)}: {msg}")

    def _convert(self, value: Any) -> Any:
        from falkordb.edge import Edge
        from falkordb.node import Node
        from falkordb.path import Path as FPath

        if isinstance(value, Node):
            return GraphNode(str(value.id), tuple(value.labels or ()), dict(value.properties))
        if isinstance(value, Edge):
            return GraphRel(
                str(value.id),
                value.relation,
                str(_node_id(value.src_node)),
                str(_node_id(value.dest_node)),
                dict(value.properties),
            )
        if isinstance(value, FPath):
            return GraphPath(
                tuple(self._convert(n) for n in value.nodes()),
                tuple(self._convert(e) for e in value.edges()),
            )
        if isinstance(value, list):
            return [self._convert(v) for v in value]
        if isinstance(value, dict):
            return {k: self._convert(v) for k, v in value.items()}
        return value

    def _apply_schema(self) -> None:
        text = (queries_root() / "schema" / "falkordb.cypher").read_text(encoding="utf-8")
        for stmt in statements(text):
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
        try:
            rows = self.run(
                "CALL db.constraints() YIELD type, label, properties "
                "RETURN type, label, properties",
                read_only=True,
            )
        except StoreError:
            return []
        return rows

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


def _node_id(node: Any) -> Any:
    return getattr(node, "id", node)


# ------------------------------------------------------------------------------------
# Neo4j 5
# ------------------------------------------------------------------------------------
# URI schemes of the Neo4j driver's Bolt transport (its HTTP transport is a preview that
# needs extra packages, so cxrkg does not offer it).
_BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class Neo4jStore(GraphStore):
    """Neo4j 5 through the official driver. Read-only runs use read transactions."""

    backend = "neo4j"

    def __init__(self, settings: Settings):
        super().__init__(settings)
        import neo4j

        self._neo4j = neo4j
        scheme = settings.neo4j_uri.split("://", 1)[0] if "://" in settings.neo4j_uri else ""
        if scheme not in _BOLT_SCHEMES:
            raise StoreError(
                f"CXRKG_NEO4J_URI {settings.neo4j_uri!r} is not a Bolt URI; cxrkg talks to Neo4j"
                f" over Bolt: use bolt://host:7687 (or {', '.join(s + '://' for s in _BOLT_SCHEMES[1:])})"
            )
        # The shared queries use `CALL { WITH x ... }` on purpose (FalkorDB has no
        # `CALL (x) {...}`), so Neo4j's deprecation notices would only repeat that on every run.
        if hasattr(neo4j, "NotificationDisabledClassification"):
            quiet = {
                "notifications_disabled_classifications": [
                    neo4j.NotificationDisabledClassification.DEPRECATION
                ]
            }
        else:  # drivers before 5.22
            quiet = {
                "notifications_disabled_categories": [
                    neo4j.NotificationDisabledCategory.DEPRECATION
                ]
            }
        try:
            self.driver = neo4j.GraphDatabase.driver(
                settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password), **quiet
            )
        except (neo4j.exceptions.ConfigurationError, ValueError) as exc:
            raise StoreError(
                f"CXRKG_NEO4J_URI {settings.neo4j_uri!r} is not usable: {exc}"
            ) from exc
        try:
            self.driver.verify_connectivity()
        except (
            neo4j.exceptions.ServiceUnavailable,
            neo4j.exceptions.AuthError,
            OSError,
            ValueError,
        ) as exc:
            self.driver.close()
            raise StoreUnavailable(
                f"cannot reach Neo4j at {settings.neo4j_uri} as {settings.neo4j_user!r}: {exc};"
                " start it with `docker compose up -d neo4j` or check CXRKG_NEO4J_*"
            ) from exc

    def run(
        self,
        query: str,
        params: dict[str, Any] | EncodedParams | None = None,
        *,
        read_only: bool = False,
        timeout_ms: int | None = None,
        name: str | None = None,
    ) -> list[dict[str, Any]]:
        if isinstance(params, EncodedParams):
            params = params.params
        neo4j = self._neo4j
        timeout_ms = self.read_timeout_ms(timeout_ms, read_only)
        timeout = timeout_ms / 1000 if timeout_ms else None

        def work(tx: Any) -> list[dict[str, Any]]:
            result = tx.run(query, params or {})
            return [{k: self._convert(v) for k, v in record.items()} for record in result]

        work = neo4j.unit_of_work(timeout=timeout)(work)
        try:
            with self.driver.session(database=self.settings.graph) as session:
                if read_only:
                    return session.execute_read(work)
                return session.execute_write(work)
        except neo4j.exceptions.ServiceUnavailable as exc:
            raise StoreUnavailable(
                f"Neo4j at {self.settings.neo4j_uri} did not answer the {_label(name)}: {exc}"
            ) from exc
        except neo4j.exceptions.Neo4jError as exc:
            code = exc.code or ""
            if "TransactionTimedOut" in code:
                raise QueryLimitExceeded(
                    f"the {_label(name)} ran past its time limit ({timeout} s) and was stopped;"
                    " narrow it, or allow more time (`cxrkg query --timeout MS`,"
                    " CXRKG_QUERY_TIMEOUT_S)"
                ) from exc
            if "MemoryPoolOutOfMemoryError" in code:
                raise QueryLimitExceeded(
                    f"the {_label(name)} needed more memory than Neo4j lets a transaction use"
                    f" (db.memory.transaction.max) and was stopped: {exc.message}"
                ) from exc
            if read_only and (
                "AccessMode" in code
                or "ForbiddenOnReadOnly" in code
                or "read" in (exc.message or "").lower()
                and _WRITE_HINT.search(query)
            ):
                raise ReadOnlyViolation(
                    f"the {_label(name)} writes to the graph, and read-only runs cannot write"
                    f" (Neo4j refused it in a read transaction: {exc.message})"
                ) from exc
            raise StoreError(
                f"Neo4j rejected the {_label(name)}: {exc.code}: {exc.message}{self._hint(code)}"
            ) from exc

    def _hint(self, code: str) -> str:
        if code.endswith("DatabaseNotFound"):
            return (
                f"; there is no database {self.settings.graph!r}: set CXRKG_GRAPH=neo4j"
                " (Neo4j Community Edition has only the `neo4j` database) or create it"
            )
        return ""

    @staticmethod
    def _convert(value: Any) -> Any:
        """A driver value as plain Python, with graph values as GraphNode/GraphRel/GraphPath."""
        from neo4j.graph import Node, Path, Relationship

        convert = Neo4jStore._convert
        if isinstance(value, Node):
            return GraphNode(value.element_id, tuple(sorted(value.labels)), dict(value.items()))
        if isinstance(value, Relationship):
            return GraphRel(
                value.element_id,
                value.type,
                value.start_node.element_id,
                value.end_node.element_id,
                dict(value.items()),
            )
        if isinstance(value, Path):
            return GraphPath(
                tuple(convert(n) for n in value.nodes),
                tuple(convert(r) for r in value.relationships),
            )
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    def _apply_schema(self) -> None:
        neo4j = self._neo4j
        text = (queries_root() / "schema" / "neo4j.cypher").read_text(encoding="utf-8")
        for stmt in statements(text):
            try:
                with self.driver.session(database=self.settings.graph) as session:
                    session.run(stmt).consume()
            except neo4j.exceptions.ServiceUnavailable as exc:
                raise StoreUnavailable(
                    f"Neo4j at {self.settings.neo4j_uri} did not answer the"
                    f" schema statement {stmt!r}: {exc}"
                ) from exc
            except neo4j.exceptions.Neo4jError as exc:
                raise StoreError(
                    f"Neo4j rejected schema statement {stmt!r}: {exc.code}:"
                    f" {exc.message}{self._hint(exc.code or '')}"
                ) from exc

    def clear(self) -> None:
        while True:
            rows = self.run("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS c")
            if not rows or rows[0]["c"] == 0:
                break

    def close(self) -> None:
        self.driver.close()

    def memory_bytes(self) -> int | None:
        return None  # Neo4j reports store sizes through its own tooling

    def describe(self) -> str:
        return f"Neo4j database {self.settings.graph!r} at {self.settings.neo4j_uri}"


def open_store(
    settings: Settings | None = None, *, autostart: bool = True, schema: bool = True
) -> GraphStore:
    """The configured store, started (FalkorDB) and with its schema in place."""
    settings = settings or get_settings()
    store: GraphStore
    if settings.backend == "neo4j":
        store = Neo4jStore(settings)
    else:
        store = FalkorDBStore(settings, autostart=autostart)
    if schema:
        store.setup_schema()
    return store


def chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]
