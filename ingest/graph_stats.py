"""Counts of what the graph holds, per node label and relationship type."""

from __future__ import annotations

from cxrkg.cypher.queries import load_query
from cxrkg.cypher.store import GraphStore


def graph_stats(store: GraphStore) -> dict[str, dict[str, int]]:
    """Nodes per label and relationships per type, largest first.

    One count per label/type: both engines answer `MATCH (n:L) RETURN count(n)` from
    their label/type stores, where a single grouped scan reads every node and edge.
    The names come from the graph itself (db.labels, db.relationshipTypes).
    """
    labels = [r["label"] for r in store.run_named("explore/labels", read_only=True)]
    types = [r["type"] for r in store.run_named("explore/relationship_types", read_only=True)]
    per_label, per_type = load_query("graph/label_count"), load_query("graph/type_count")
    nodes = {
        label: int(store.run_named(per_label.with_names(label=label), read_only=True)[0]["n"])
        for label in labels
    }
    rels = {
        t: int(store.run_named(per_type.with_names(type=t), read_only=True)[0]["n"]) for t in types
    }
    drop = {"CxrkgKeyRegistry"}  # FalkorDB keeps labels of deleted nodes
    return {
        "nodes": dict(
            sorted(
                ((k, v) for k, v in nodes.items() if v and k not in drop),
                key=lambda kv: (-kv[1], kv[0]),
            )
        ),
        "relationships": dict(
            sorted(((k, v) for k, v in rels.items() if v), key=lambda kv: (-kv[1], kv[0]))
        ),
    }
