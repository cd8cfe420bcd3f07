"""Query rows to a graph view: nodes coloured by label and edges, in the shape the
st-link-analysis (Cytoscape.js) component takes, with a readable caption per node."""

from __future__ import annotations

import json
from typing import Any

from cxrkg.cypher.store.results import GraphNode, GraphPath, GraphRel

# One colour per label of the graph model; anything else gets grey.
LABEL_COLOURS: dict[str, str] = {
    "Patient": "#6d28d9",
    "Study": "#1d4ed8",
    "Image": "#0891b2",
    "Sentence": "#64748b",
    "Observation": "#dc2626",
    "StudyRegion": "#16a34a",
    "Indication": "#ca8a04",
    "Finding": "#db2777",
    "Anatomy": "#65a30d",
    "Category": "#a16207",
    "Question": "#7c3aed",
    "Answer": "#9333ea",
}
OTHER_COLOUR = "#9ca3af"
# The property that names a node of each label best.
CAPTION_KEYS = ("name", "region", "study_id", "patient_id", "image_id", "text", "question_id")


def caption(node: GraphNode) -> str:
    props = node.properties
    label = node.labels[0] if node.labels else ""
    if label == "Observation" and props.get("obs_id"):
        text = f"{props['obs_id']} {props.get('name', '')}"
    elif label == "Sentence":
        text = str(props.get("text", props.get("sent_id", "")))
    elif label == "Indication":
        text = "indication"
    else:
        text = next((str(props[k]) for k in CAPTION_KEYS if props.get(k)), label or node.id)
    return text if len(text) <= 36 else text[:35] + "…"


def _walk(value: Any, nodes: dict[str, GraphNode], rels: dict[str, GraphRel]) -> None:
    if isinstance(value, GraphNode):
        nodes.setdefault(value.id, value)
    elif isinstance(value, GraphRel):
        rels.setdefault(value.id, value)
    elif isinstance(value, GraphPath):
        for n in value.nodes:
            nodes.setdefault(n.id, n)
        for r in value.rels:
            rels.setdefault(r.id, r)
    elif isinstance(value, list | tuple):
        for v in value:
            _walk(v, nodes, rels)
    elif isinstance(value, dict):
        for v in value.values():
            _walk(v, nodes, rels)


def collect(rows: list[dict[str, Any]]) -> tuple[list[GraphNode], list[GraphRel]]:
    """Every distinct node and relationship anywhere in the rows (cells, lists, paths)."""
    nodes: dict[str, GraphNode] = {}
    rels: dict[str, GraphRel] = {}
    for row in rows:
        _walk(row, nodes, rels)
    return list(nodes.values()), list(rels.values())


def has_graph(rows: list[dict[str, Any]]) -> bool:
    nodes, _ = collect(rows)
    return bool(nodes)


def _prop_value(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) or len(value) <= 300 else value[:299] + "…"
    return json.dumps(value, default=str)[:300]


def elements(rows: list[dict[str, Any]], *, max_nodes: int = 400) -> dict[str, list[dict]]:
    """Cytoscape elements: {"nodes": [{"data": {...}}], "edges": [...]}. Edges whose ends are
    not among the returned nodes are dropped (a query may return a relationship alone)."""
    nodes, rels = collect(rows)
    nodes = nodes[:max_nodes]
    ids = {n.id for n in nodes}
    out_nodes = []
    for n in nodes:
        data = {k: _prop_value(v) for k, v in n.properties.items()}
        data.update(id=f"n{n.id}", label=n.labels[0] if n.labels else "Node", caption=caption(n))
        out_nodes.append({"data": data})
    out_edges = []
    for r in rels:
        if r.start in ids and r.end in ids:
            data = {k: _prop_value(v) for k, v in r.properties.items()}
            data.update(id=f"e{r.id}", label=r.type, source=f"n{r.start}", target=f"n{r.end}")
            out_edges.append({"data": data})
    return {"nodes": out_nodes, "edges": out_edges}


def labels_in(elems: dict[str, list[dict]]) -> list[str]:
    return sorted({n["data"]["label"] for n in elems["nodes"]})


def rel_types_in(elems: dict[str, list[dict]]) -> list[str]:
    return sorted({e["data"]["label"] for e in elems["edges"]})


def keep_labels(elems: dict[str, list[dict]], labels: set[str]) -> dict[str, list[dict]]:
    """Only the nodes with these labels, and the edges between them."""
    nodes = [n for n in elems["nodes"] if n["data"]["label"] in labels]
    ids = {n["data"]["id"] for n in nodes}
    edges = [e for e in elems["edges"] if e["data"]["source"] in ids and e["data"]["target"] in ids]
    return {"nodes": nodes, "edges": edges}
