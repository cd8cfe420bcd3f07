"""Neo4j 5 through the official driver, over Bolt: the store for users at scale."""

from __future__ import annotations

import re
from typing import Any

from cxrkg.config import Settings
from cxrkg.cypher.store.errors import (
    QueryLimitExceeded,
    ReadOnlyViolation,
    StoreError,
    StoreUnavailable,
    query_label,
)
from cxrkg.cypher.store.interface import GraphStore
from cxrkg.cypher.store.params import EncodedParams
from cxrkg.cypher.store.results import from_neo4j
from cxrkg.cypher.store.schema import schema_statements

# URI schemes of the Neo4j driver's Bolt transport (its HTTP transport is a preview that
# needs extra packages, so cxrkg does not offer it).
_BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
_WRITE_HINT = re.compile(r"\b(CREATE|MERGE|DELETE|SET|REMOVE|DROP)\b", re.IGNORECASE)


class Neo4jStore(GraphStore):
    """Neo4j 5 through the official driver. Read-only runs use read transactions."""

    backend = "neo4j"

    # A driver value as plain Python (GraphNode/GraphRel/GraphPath for graph values).
    _convert = staticmethod(from_neo4j)

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
        # Every call runs in a session of its own; on a cluster (a `neo4j://` routing URI) a
        # read may go to another server than the write before it. Sessions that share a
        # bookmark manager wait until that server has the write (causal consistency).
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
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
            return [{k: from_neo4j(v) for k, v in record.items()} for record in result]

        work = neo4j.unit_of_work(timeout=timeout)(work)
        try:
            with self._session() as session:
                if read_only:
                    return session.execute_read(work)
                return session.execute_write(work)
        except neo4j.exceptions.ServiceUnavailable as exc:
            raise StoreUnavailable(
                f"Neo4j at {self.settings.neo4j_uri} did not answer the {query_label(name)}: {exc}"
            ) from exc
        except neo4j.exceptions.Neo4jError as exc:
            code = exc.code or ""
            if "TransactionTimedOut" in code:
                raise QueryLimitExceeded(
                    f"the {query_label(name)} ran past its time limit ({timeout} s) and was"
                    " stopped; narrow it, or allow more time (`cxrkg query --timeout MS`,"
                    " CXRKG_QUERY_TIMEOUT_S)"
                ) from exc
            if "MemoryPoolOutOfMemoryError" in code:
                raise QueryLimitExceeded(
                    f"the {query_label(name)} needed more memory than Neo4j lets a transaction"
                    f" use (db.memory.transaction.max) and was stopped: {exc.message}"
                ) from exc
            if read_only and (
                "AccessMode" in code
                or "ForbiddenOnReadOnly" in code
                or "read" in (exc.message or "").lower()
                and _WRITE_HINT.search(query)
            ):
                raise ReadOnlyViolation(
                    f"the {query_label(name)} writes to the graph, and read-only runs cannot"
                    f" write (Neo4j refused it in a read transaction: {exc.message})"
                ) from exc
            raise StoreError(
                f"Neo4j rejected the {query_label(name)}: {exc.code}: {exc.message}"
                f"{self._hint(code)}"
            ) from exc

    def _session(self) -> Any:
        return self.driver.session(database=self.settings.graph, bookmark_manager=self._bookmarks)

    def _hint(self, code: str) -> str:
        if code.endswith("DatabaseNotFound"):
            return (
                f"; there is no database {self.settings.graph!r}: set CXRKG_GRAPH=neo4j"
                " (Neo4j Community Edition has only the `neo4j` database) or create it"
            )
        return ""

    def _apply_schema(self) -> None:
        neo4j = self._neo4j
        for stmt in schema_statements(self.backend):
            try:
                with self._session() as session:
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
            rows = self.run_named("graph/delete_some_nodes")
            if not rows or rows[0]["c"] == 0:
                break

    def close(self) -> None:
        self.driver.close()

    def memory_bytes(self) -> int | None:
        return None  # Neo4j reports store sizes through its own tooling

    def describe(self) -> str:
        return f"Neo4j database {self.settings.graph!r} at {self.settings.neo4j_uri}"
