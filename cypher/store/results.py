"""What rows hold: plain Python values, with nodes, relationships and paths as the same
`GraphNode`, `GraphRel` and `GraphPath` records whichever backend answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any


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


_SCALARS = (str, int, float, bool, type(None))


def from_falkordb(value: Any) -> Any:
    """A falkordb client value as plain Python, with graph values as GraphNode/GraphRel/GraphPath."""
    # QA reads return hundreds of thousands of values per batch, nearly all scalars or lists
    # of scalars: those go straight through, before any isinstance test against graph types.
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list):
        return [v if isinstance(v, _SCALARS) else from_falkordb(v) for v in value]
    if isinstance(value, dict):
        return {k: v if isinstance(v, _SCALARS) else from_falkordb(v) for k, v in value.items()}
    node, edge, path = _falkordb_types()
    if isinstance(value, node):
        return GraphNode(str(value.id), tuple(value.labels or ()), dict(value.properties))
    if isinstance(value, edge):
        return GraphRel(
            str(value.id),
            value.relation,
            str(_node_id(value.src_node)),
            str(_node_id(value.dest_node)),
            dict(value.properties),
        )
    if isinstance(value, path):
        return GraphPath(
            tuple(from_falkordb(n) for n in value.nodes()),
            tuple(from_falkordb(e) for e in value.edges()),
        )
    return value


@cache
def _falkordb_types() -> tuple[type, type, type]:
    # Imported on first use so that a Neo4j-only install never needs the falkordb client.
    from falkordb.edge import Edge
    from falkordb.node import Node
    from falkordb.path import Path as FPath

    return Node, Edge, FPath


def _node_id(node: Any) -> Any:
    # The falkordb client's Edge holds each end as a Node or as a bare node id.
    return getattr(node, "id", node)


def from_neo4j(value: Any) -> Any:
    """A neo4j driver value as plain Python, with graph values as GraphNode/GraphRel/GraphPath."""
    from neo4j.graph import Node, Path, Relationship

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
            tuple(from_neo4j(n) for n in value.nodes),
            tuple(from_neo4j(r) for r in value.relationships),
        )
    if isinstance(value, list):
        return [from_neo4j(v) for v in value]
    if isinstance(value, dict):
        return {k: from_neo4j(v) for k, v in value.items()}
    return value
