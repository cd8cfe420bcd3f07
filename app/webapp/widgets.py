"""Pieces several pages share: the ontology, filter values, images with boxes, the
observation tree and the interactive graph view."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import streamlit as st
from PIL import Image as PILImage
from st_link_analysis import EdgeStyle, Event, NodeStyle, st_link_analysis

from cxrkg.app.webapp import data, graphview, overlay
from cxrkg.ingest.model import Observation, SceneGraph
from cxrkg.ontology import Ontology, load_ontology


def ontology() -> Ontology:
    """The current (curated) ontology; the loader caches it by file content."""
    return load_ontology()


def filter_values() -> dict[str, list[str]]:
    rows = data.named("app/filter_values")
    row = rows[0] if rows else {}
    return {
        "splits": sorted(v for v in row.get("splits") or [] if v),
        "grades": sorted(v for v in row.get("grades") or [] if v),
    }


# -- images with boxes ---------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=256)
def _png(version: int, path: str, boxes: tuple[overlay.Box, ...], labels: bool) -> bytes:
    img = overlay.render_image(Path(path), list(boxes), labels=labels)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def boxed_image(
    path: str, boxes: list[overlay.Box], labels: bool, caption: str, width: int | str = "stretch"
) -> None:
    try:
        png = _png(data.version(), path, tuple(boxes), labels)
    except (OSError, ValueError, PILImage.DecompressionBombError) as exc:  # not a usable image
        st.warning(f"{caption}: the image file cannot be shown ({type(exc).__name__}).")
        return
    st.image(png, caption=caption, width=width)


def image_file(path: str | None, image_id: str) -> Path | None:
    """The file to show for an image, or None (with a warning when its path is refused)."""
    try:
        return overlay.resolve_image_path(path)
    except overlay.ImagePathRefused as exc:
        st.warning(f"Image {image_id}: {exc}.")
        return None


LEGEND = (
    "<span style='color:#dc2626'>■ positive observation</span> · "
    "<span style='color:#16a34a'>■ negative observation</span> · "
    "<span style='color:#d97706'>■ unknown</span> · "
    "<span style='color:#2563eb'>■ region</span>"
)


def study_images(sg: SceneGraph) -> None:
    """Each image of the study with its boxes; a toggle per box."""
    if not sg.images:
        st.caption("This study has no images.")
        return
    for image in sg.images.values():
        st.markdown(f"**{image.image_id}** · {image.view_position or 'view ?'}")
        path = image_file(image.path, image.image_id)
        boxes = overlay.study_boxes(sg, image.image_id)
        if path is None:
            st.info(
                f"No image file for {image.image_id}"
                + (f" ({image.path} not found)." if image.path else ".")
                + f" {len(boxes)} boxes are recorded for it."
            )
            continue
        left, right = st.columns([3, 2])
        with right:
            labels = st.toggle("Labels", value=True, key=f"lbl_{sg.study_id}_{image.image_id}")
            show_regions = st.toggle(
                "Region boxes", value=False, key=f"reg_{sg.study_id}_{image.image_id}"
            )
            candidates = [b for b in boxes if b.kind == "observation" or show_regions]
            names = {
                b.key: f"{b.label}{' (fallback)' if b.is_fallback else ''}" for b in candidates
            }
            chosen = st.multiselect(
                "Boxes shown",
                list(names),
                default=list(names),
                format_func=names.get,
                key=f"boxes_{sg.study_id}_{image.image_id}_{show_regions}",
            )
            st.markdown(LEGEND, unsafe_allow_html=True)
        with left:
            shown = [b for b in candidates if b.key in chosen]
            boxed_image(str(path), shown, labels, f"{image.image_id}: {len(shown)} boxes")


# -- observations ----------------------------------------------------------------------
def obs_badge(o: Observation) -> str:
    colour = {"pos": "red", "neg": "green"}.get(o.positiveness or "", "orange")
    return f":{colour}-badge[{o.obs_id} {o.name}]"


def _describe(o: Observation) -> str:
    bits = [o.probability or "", o.certainty or ""]
    mods = [v for vs in o.modifiers.values() for v in vs]
    regions = [r.region for r in o.regions]
    out = f"{obs_badge(o)} {' · '.join(b for b in bits if b)}"
    if o.obs_entities:
        out += f" · finding: {', '.join(o.obs_entities)}"
    if regions:
        out += f" · in {', '.join(regions)}"
    if mods:
        out += f" · {', '.join(mods)}"
    if o.changes:
        out += f" · changes: {', '.join(o.changes)}"
    return out


def observation_tree(sg: SceneGraph) -> None:
    """Top-level observations with their children (child type shown), depth first."""
    children: dict[str, list[tuple[str, str | None]]] = {}
    for rel in sg.obs_relations:
        children.setdefault(rel.parent_observation_id, []).append(
            (rel.child_observation_id, rel.child_type)
        )
    lines: list[str] = []

    def walk(obs_id: str, depth: int, child_type: str | None, seen: set[str]) -> None:
        o = sg.observations.get(obs_id)
        if o is None or obs_id in seen:
            return
        seen = seen | {obs_id}
        prefix = f"*{child_type}* → " if child_type else ""
        lines.append("    " * depth + f"- {prefix}{_describe(o)}")
        for child, ctype in children.get(obs_id, []):
            walk(child, depth + 1, ctype, seen)

    tops = sg.top_level_obs_ids or [
        o for o in sg.observations if sg.observations[o].child_level == 0
    ]
    for oid in tops:
        walk(oid, 0, None, set())
    st.markdown("\n".join(lines) if lines else "No observations.")


# -- graph view ------------------------------------------------------------------------
class _CaptionedNode(NodeStyle):
    """A node style whose caption is readable at the zoom the layout fits the graph to
    (the component's default 3.6px captions only appear when zoomed far in)."""

    def dump(self) -> dict[str, Any]:
        out = super().dump()
        out["style"].update({"font-size": 11, "text-max-width": 120, "text-wrap": "ellipsis"})
        return out


@st.cache_data(show_spinner=False, max_entries=128)
def study_elements(version: int, study_id: str) -> dict[str, list[dict]]:
    rows = data.store().run_named(
        "explore/study_subgraph", {"study_id": study_id, "limit": 2000}, read_only=True
    )
    return graphview.elements(rows)


def graph_view(elems: dict[str, list[dict]], key: str, height: int = 560) -> None:
    """The interactive graph (Cytoscape.js): nodes coloured by label, a property panel on
    click; below it, the properties of a node picked from a list (also works without JS)."""
    if not elems["nodes"]:
        st.caption("Nothing to draw: the result has no nodes.")
        return
    present = graphview.labels_in(elems)
    # The ontology's nodes crowd a study's picture; they are one click away.
    shown = st.multiselect(
        "Node labels shown",
        present,
        default=[x for x in present if x not in ("Anatomy", "Category")] or present,
        key=f"{key}_labels",
    )
    elems = graphview.keep_labels(elems, set(shown))
    node_styles = [
        _CaptionedNode(label, graphview.LABEL_COLOURS.get(label, graphview.OTHER_COLOUR), "caption")
        for label in graphview.labels_in(elems)
    ]
    # labeled=None: st-link-analysis 0.4 warns about its own default (False) otherwise
    edge_styles = [
        EdgeStyle(t, caption="label", directed=True, labeled=None)
        for t in graphview.rel_types_in(elems)
    ]
    st.caption(
        f"{len(elems['nodes'])} nodes, {len(elems['edges'])} relationships · click a node for"
        " its properties · scroll to zoom"
    )
    clicked = st_link_analysis(
        elems,
        layout="cose",
        node_styles=node_styles,
        edge_styles=edge_styles,
        height=height,
        key=key,
        events=[Event("node_clicked", "tap", "node")],
    )
    by_id = {n["data"]["id"]: n["data"] for n in elems["nodes"]}
    names = {i: f"{d['label']}: {d['caption']}" for i, d in by_id.items()}
    # A click in the graph comes back once per click (its timestamp tells them apart) and
    # moves the inspector below to that node; the inspector can also be used on its own.
    if isinstance(clicked, dict) and clicked.get("action") == "node_clicked":
        stamp = clicked.get("timestamp")
        target = (clicked.get("data") or {}).get("target_id")
        if st.session_state.get(f"{key}_click") != stamp and target in names:
            st.session_state[f"{key}_click"] = stamp
            st.session_state[f"{key}_node"] = target
    if st.session_state.get(f"{key}_node") not in names:
        st.session_state[f"{key}_node"] = None
    choice = st.selectbox(
        "Node properties",
        list(names),
        format_func=names.get,
        placeholder="pick a node (or click one above)",
        key=f"{key}_node",
    )
    if choice:
        props: dict[str, Any] = {
            k: v for k, v in by_id[choice].items() if k not in ("id", "caption")
        }
        st.json(json.loads(json.dumps(props, default=str)), expanded=True)


# -- curation ----------------------------------------------------------------------------
def concept_diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Field-by-field changes between concept versions (matched by IRI): one row per field;
    for list fields only the items removed and added."""
    b = {c.get("iri") or c["name"]: c for c in before}
    a = {c.get("iri") or c["name"]: c for c in after}
    rows = []
    for iri in sorted(set(a) | set(b)):
        old, new = b.get(iri, {}), a.get(iri, {})
        name = new.get("name") or old.get("name")
        for key in sorted(set(old) | set(new)):
            if key in ("iri", "sources") or old.get(key) == new.get(key):
                continue
            was, now = old.get(key), new.get(key)
            if isinstance(was, list) and isinstance(now, list):
                removed = [x for x in was if x not in now]
                added = [x for x in now if x not in was]
                rows.append(
                    {
                        "concept": name,
                        "field": key,
                        "before / removed": ", ".join(map(str, removed)) or "—",
                        "after / added": ", ".join(map(str, added)) or "—",
                    }
                )
                continue
            rows.append(
                {
                    "concept": name,
                    "field": key,
                    "before / removed": json.dumps(was) if key in old else "(new concept)",
                    "after / added": json.dumps(now) if key in new else "(gone)",
                }
            )
    return rows


def show_diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
    rows = concept_diff(before, after)
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption("No field changes.")


def comment_thread(target: str, key: str) -> None:
    """A discussion thread on a concept or a proposal, newest last, with a reply box."""
    from cxrkg.app.collab import Collab, CollabError

    collab = Collab()
    for c in collab.comments(target):
        with st.chat_message("user"):
            st.markdown(f"**{c.user}** · {c.when}\n\n{c.text}")
    user = data.current_user()
    with st.form(f"comment_{key}", clear_on_submit=True):
        text = st.text_area("Add a comment", key=f"comment_text_{key}", height=80)
        if st.form_submit_button("Post comment"):
            try:
                collab.comment(target, user.name, text)
                st.rerun()
            except CollabError as exc:
                st.error(str(exc))
