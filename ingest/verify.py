"""Is a stored study still what its source says? The study's own subgraph in the graph,
compared node by node and edge by edge with what loading the source would write.

    differences = stored_differences(store, [(scene_graph, study_rows(scene_graph)), ...])

The content hash on the `:Study` node only says which source was loaded; a study changed
in the graph afterwards (a property set, an edge removed) keeps its hash. Links into the
ontology (`HAS_ENTITY`, `IS_A`), which curation re-maps, and generated QA are left out.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cxrkg.cypher.store import GraphStore
from cxrkg.ingest.graph_rows import REGION_REL_TYPES
from cxrkg.ingest.model import SceneGraph

Rows = dict[str, list[dict[str, Any]]]
NodeId = tuple[str, str]  # (label, key)

# Row kinds of graph_rows.study_rows → the edge they write: (type, from label, to label,
# from field, to field); None fields are the study itself.
_EDGE_ROWS = {
    "children": ("HAS_CHILD", "Observation", "Observation", "parent", "child"),
    "obs_sent": ("FROM_SENTENCE", "Observation", "Sentence", "obs", "sent"),
    "located_at": ("LOCATED_AT", "Observation", "StudyRegion", "obs", "region"),
    "other_region_rels": ("REGION_RELATION", "StudyRegion", "StudyRegion", "from", "to"),
    "obs_loc": ("LOCALIZED_IN", "Observation", "Image", "key", "image_id"),
    "region_loc": ("LOCALIZED_IN", "StudyRegion", "Image", "key", "image_id"),
    "ind_sent": ("ASSOCIATED_SENTENCE", "Indication", "Sentence", "study_id", "sent"),
    "ind_obs": ("ASSOCIATED_OBSERVATION", "Indication", "Observation", "study_id", "obs"),
    **{
        kind: (kind.upper(), "StudyRegion", "StudyRegion", "from", "to")
        for kind in REGION_REL_TYPES.values()
    },
}
_OWNED = {
    "images": ("HAS_IMAGE", "Image", "image_id"),
    "sentences": ("HAS_SENTENCE", "Sentence", "key"),
    "observations": ("HAS_OBSERVATION", "Observation", "key"),
    "regions": ("HAS_REGION", "StudyRegion", "key"),
    "indications": ("HAS_INDICATION", "Indication", "key"),
}


@dataclass
class Snapshot:
    """A study's nodes (label, key → properties), edges and patients."""

    nodes: dict[NodeId, dict[str, Any]] = field(default_factory=dict)
    edges: Counter[tuple[str, NodeId, NodeId, str]] = field(default_factory=Counter)
    patients: list[str] = field(default_factory=list)


def _props(props: dict[str, Any] | None) -> str:
    return json.dumps(props or {}, sort_keys=True, ensure_ascii=False)


def expected_snapshot(sg: SceneGraph, rows: Rows) -> Snapshot:
    """What loading `sg` (written as `rows`) puts in the graph."""
    snap = Snapshot(patients=[sg.patient_id])
    study: NodeId = ("Study", sg.study_id)
    snap.nodes[study] = rows["studies"][0]["props"]
    for kind, (rel, label, key) in _OWNED.items():
        for row in rows.get(kind, []):
            node = (label, row["props"][key])
            snap.nodes[node] = row["props"]
            snap.edges[(rel, study, node, _props(None))] += 1
            answer = row.get("answer")
            if answer:
                target = ("Observation", answer["key"])
                snap.nodes[target] = answer
                snap.edges[("ANSWERED_BY", node, target, _props(None))] += 1
    for kind, (rel, a_label, b_label, a_field, b_field) in _EDGE_ROWS.items():
        for row in rows.get(kind, []):
            edge = (rel, (a_label, row[a_field]), (b_label, row[b_field]), _props(row.get("props")))
            snap.edges[edge] += 1
    return snap


def stored_snapshots(store: GraphStore, study_ids: Sequence[str]) -> dict[str, Snapshot]:
    """What the graph holds for each of these studies (absent ones are left out)."""
    out: dict[str, Snapshot] = {}
    for row in store.run_named("load/study_snapshot", {"study_ids": list(study_ids)}):
        snap = out.setdefault(row["study_id"], Snapshot(patients=sorted(row["patients"])))
        props = row["props"]
        node = (row["label"], _node_key(row["label"], props))
        snap.nodes[node] = props
        for e in row["out"]:
            snap.edges[(e["type"], node, (e["label"], e["key"]), _props(e["props"]))] += 1
    return out


def _node_key(label: str, props: dict[str, Any]) -> str:
    return str(props.get({"Study": "study_id", "Image": "image_id"}.get(label, "key")))


def differences(expected: Snapshot, stored: Snapshot, most: int = 3) -> list[str]:
    """How the stored study differs from its source, the first `most` ways."""
    found: list[str] = []
    if sorted(expected.patients) != sorted(stored.patients):
        found.append(
            f"patient is {', '.join(stored.patients) or 'none'} in the graph,"
            f" {', '.join(expected.patients)} in the source"
        )
    for node in sorted(expected.nodes.keys() | stored.nodes.keys()):
        where = f"{node[0]} {node[1]}"
        if node not in stored.nodes:
            found.append(f"{where} is missing from the graph")
        elif node not in expected.nodes:
            found.append(f"{where} is in the graph but not in the source")
        else:
            want, have = expected.nodes[node], stored.nodes[node]
            for name in sorted(want.keys() | have.keys()):
                if want.get(name) != have.get(name):
                    found.append(
                        f"{where}: {name} is {have.get(name)!r} in the graph,"
                        f" {want.get(name)!r} in the source"
                    )
    missing = expected.edges - stored.edges
    extra = stored.edges - expected.edges
    for (rel, a, b, _), n in sorted(missing.items()):
        found.append(f"{n} {rel} edge(s) {a[1]} -> {b[1]} missing from the graph or changed")
    for (rel, a, b, _), n in sorted(extra.items()):
        found.append(f"{n} {rel} edge(s) {a[1]} -> {b[1]} in the graph but not in the source")
    return found[:most]


def stored_differences(
    store: GraphStore, studies: Sequence[tuple[SceneGraph, Rows]]
) -> dict[str, list[str]]:
    """For each given study stored differently from its source: how (others left out)."""
    stored = stored_snapshots(store, [sg.study_id for sg, _ in studies])
    out: dict[str, list[str]] = {}
    for sg, rows in studies:
        diff = differences(expected_snapshot(sg, rows), stored.get(sg.study_id, Snapshot()))
        if diff:
            out[sg.study_id] = diff
    return out


def graph_differences(store: GraphStore, reference: GraphStore, most: int = 10) -> list[str]:
    """How `store` differs from `reference` (say, a clean load of the same files): nodes
    per label, relationships per type, the NEXT_STUDY chains, and every study's own
    subgraph. Empty when they hold the same graph."""
    from cxrkg.ingest.graph_stats import graph_stats

    found: list[str] = []
    mine, theirs = graph_stats(store), graph_stats(reference)
    for kind in ("nodes", "relationships"):
        for name in sorted(mine[kind].keys() | theirs[kind].keys()):
            a, b = mine[kind].get(name, 0), theirs[kind].get(name, 0)
            if a != b:
                found.append(f"{kind} {name}: {a:,} here, {b:,} in the reference")
    links = [
        {(r["a"], r["b"]) for r in s.run_named("load/next_study_pairs", read_only=True)}
        for s in (store, reference)
    ]
    if links[0] != links[1]:
        found.append(
            f"NEXT_STUDY: {len(links[1] - links[0]):,} missing, {len(links[0] - links[1]):,} extra"
        )
    ids = [r["study_id"] for r in reference.run_named("graph/study_ids", read_only=True)]
    for i in range(0, len(ids), 200):
        part = ids[i : i + 200]
        here, there = stored_snapshots(store, part), stored_snapshots(reference, part)
        for sid in part:
            diff = differences(there.get(sid, Snapshot()), here.get(sid, Snapshot()), most=1)
            if diff:
                found.append(f"study {sid}: {diff[0]}")
    return found[:most]
