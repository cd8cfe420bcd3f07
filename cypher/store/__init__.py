"""The graph store: one small interface over FalkorDB (embedded default) and Neo4j 5.

    store = open_store()                       # from the settings; starts FalkorDB if needed
    rows = store.run_named("explore/studies_with_finding", {"finding": "pleural effusion"})
    rows = store.run("MATCH (s:Study) RETURN s.study_id AS id LIMIT 3", read_only=True)
    store.write_batches(load_query("load/link_comparisons"), rows)

Rows come back as dicts of plain Python values; nodes, relationships and paths as the
`GraphNode`, `GraphRel` and `GraphPath` records, the same for both backends.

One module per job, every name importable from here:

| module | what it holds |
| --- | --- |
| `interface` | `GraphStore` (the interface), `open_store` (the one way to get a store), `chunks` |
| `falkordb_backend` | `FalkorDBStore`: the native falkordb client, its error messages |
| `neo4j_backend` | `Neo4jStore`: the official driver over Bolt, its error messages |
| `params` | `EncodedParams`, `cypher_params_body`: parameters encoded for the wire |
| `results` | `GraphNode`, `GraphRel`, `GraphPath`, `to_jsonable`; each driver's values to them |
| `schema` | `NODE_KEYS` and the per-backend DDL files with their digest |
| `errors` | `StoreError` and its kinds |
"""

from __future__ import annotations

from cxrkg.cypher.store.errors import (
    QueryLimitExceeded,
    ReadOnlyViolation,
    StoreBusy,
    StoreDiskFull,
    StoreError,
    StoreUnavailable,
)
from cxrkg.cypher.store.falkordb_backend import FalkorDBStore
from cxrkg.cypher.store.interface import GraphStore, chunks, open_store
from cxrkg.cypher.store.neo4j_backend import Neo4jStore
from cxrkg.cypher.store.params import EncodedParams, cypher_params_body
from cxrkg.cypher.store.results import GraphNode, GraphPath, GraphRel, to_jsonable
from cxrkg.cypher.store.schema import NODE_KEYS

__all__ = [
    "NODE_KEYS",
    "EncodedParams",
    "FalkorDBStore",
    "GraphNode",
    "GraphPath",
    "GraphRel",
    "GraphStore",
    "Neo4jStore",
    "QueryLimitExceeded",
    "ReadOnlyViolation",
    "StoreBusy",
    "StoreDiskFull",
    "StoreError",
    "StoreUnavailable",
    "chunks",
    "cypher_params_body",
    "open_store",
    "to_jsonable",
]
