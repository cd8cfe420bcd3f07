"""Counts of what the graph holds, per node label and relationship type."""

from __future__ import annotations

from cxrkg.cypher.store import GraphStore


def graph_stats(store: GraphStore) -> dict[str, dict[str, int]]:
    nodes = store.run_named("explore/count_nodes_by_label", read_only=True)
    rels = store.run_named("explore/count_relationships_by_type", read_only=True)
    return {
        "nodes": {r["label"]: int(r["n"]) for r in nodes},
        "relationships": {r["type"]: int(r["n"]) for r in rels},
    }
