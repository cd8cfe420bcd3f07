"""The store interface every backend implements, and `open_store`, the one way to get a store."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cxrkg.config import Settings, get_settings
from cxrkg.cypher.queries import NamedQuery, load_query, unpack_json_columns
from cxrkg.cypher.store.params import EncodedParams
from cxrkg.cypher.store.schema import schema_digest


class GraphStore(ABC):
    """Run named or literal Cypher; batched writes; schema set-up."""

    backend: str
    # Whether the engine runs `cxrkg.toJson` (cxrkg's function library); else named
    # queries run with the call taken out (see cypher/queries.py).
    serializes_json: bool = False

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
        if not query.packs_json:
            return self.run(
                query.text, params, read_only=read_only, timeout_ms=timeout_ms, name=query.name
            )
        text = query.text if self.serializes_json else query.plain_text
        rows = self.run(text, params, read_only=read_only, timeout_ms=timeout_ms, name=query.name)
        return unpack_json_columns(rows)

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

    # -- schema ----------------------------------------------------------------------
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
        return schema_digest(self.backend)

    @abstractmethod
    def _apply_schema(self) -> None:
        """Create indexes and constraints (idempotent)."""

    # -- the whole graph -------------------------------------------------------------
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
        rows = self.run_named("graph/version", read_only=True)
        return int(rows[0]["v"]) if rows and rows[0]["v"] is not None else 0

    def bump_version(self) -> int:
        rows = self.run_named("graph/bump_version")
        return int(rows[0]["v"])

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        return f"{self.backend} graph {self.settings.graph!r}"


def open_store(
    settings: Settings | None = None, *, autostart: bool = True, schema: bool = True
) -> GraphStore:
    """The configured store, started (FalkorDB) and with its schema in place."""
    # The backends import here: each imports this module for GraphStore.
    from cxrkg.cypher.store.falkordb_backend import FalkorDBStore
    from cxrkg.cypher.store.neo4j_backend import Neo4jStore

    settings = settings or get_settings()
    store: GraphStore
    if settings.backend == "neo4j":
        store = Neo4jStore(settings)
    else:
        store = FalkorDBStore(settings, autostart=autostart)
    if schema:
        store.setup_schema()
    return store


def _batched(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]
