"""Read a study's subgraph back into a `SceneGraph` (the mirror image of graph_rows.py)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from cxrkg.cypher.store import GraphStore
from cxrkg.ingest.model import SceneGraph

_REGION_REL_NAMES = {"SUB_REGION_OF": "sub_region", "LEFT_OF": "left", "RIGHT_OF": "right"}
_OBS_FIELDS = {
    "obs_id": "obs_id",
    "name": "name",
    "summary_sentence": "summary_sentence",
    "child_type": "child_type",
    "child_level": "child_level",
    "laterality": "laterality",
    "probability": "probability",
    "certainty": "certainty",
    "positiveness": "positiveness",
    "entities": "obs_entities",
    "entities_parents": "obs_entities_parents",
    "non_resolved_entities": "non_resolved_obs_entities",
    "categories": "obs_categories",
    "subcategories": "obs_subcategories",
    "default_regions": "default_regions",
    "non_resolved_regions": "non_resolved_regions",
    "changes": "changes",
    "change_sentence": "change_sentence",
    "from_report": "from_report",
}


class StudyNotFound(KeyError):
    def __str__(self) -> str:
        return f"no study {self.args[0]!r} in the graph"


def _extra(props: dict[str, Any]) -> dict[str, Any]:
    raw = props.get("extra_json")
    return json.loads(raw) if raw else {}


def _quality(props: dict[str, Any], prefix: str = "q_") -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in props.items() if k.startswith(prefix)}


def _observation(props: dict[str, Any], loc: dict[str, dict[str, Any]]) -> dict[str, Any]:
    obs: dict[str, Any] = {dst: props[src] for src, dst in _OBS_FIELDS.items() if src in props}
    names = props.get("regions", [])
    if props.get("region_distances_json"):
        distances, extras = json.loads(props["region_distances_json"])
    else:
        distances, extras = [[] for _ in names], [{} for _ in names]
    obs["regions"] = [
        {"region": n, "distances": d, **e} for n, d, e in zip(names, distances, extras, strict=True)
    ]
    modifiers: dict[str, list[str]] = {t: [] for t in props.get("modifier_types", [])}
    for item in props.get("modifiers", []):
        t, v = item.split(":", 1)
        modifiers.setdefault(t, []).append(v)
    obs["modifiers"] = modifiers
    obs["obs_quality"] = _quality(props)
    obs["localization"] = loc
    obs.update(_extra(props))
    return obs


def _localization(image_id: str, props: dict[str, Any]) -> dict[str, Any]:
    flat = props.get("bboxes_flat", [])
    out = {
        "image_id": image_id,
        "localization_reference_ids": props.get("localization_reference_ids", []),
        "bboxes": [flat[i : i + 4] for i in range(0, len(flat), 4)],
        "instance_mask_ids": props.get("instance_mask_ids", []),
        "missing_localization": props.get("missing_localization", []),
        "is_fallback": props.get("is_fallback", False),
        "localization_quality": props.get("localization_quality"),
    }
    out.update(_extra(props))
    return out


def read_scene_graph(store: GraphStore, study_id: str) -> SceneGraph:
    """The study's scene graph as stored; equal to the one that was loaded."""
    rows = store.run_named("load/read_study", {"study_id": study_id}, read_only=True)
    if not rows:
        raise StudyNotFound(study_id)
    row = rows[0]
    s = row["study"].properties
    data: dict[str, Any] = {
        "patient_id": s["patient_id"],
        "study_id": s["study_id"],
        "source": s.get("source", "qba"),
        "top_level_obs_ids": s.get("top_level_obs_ids", []),
        "study_quality": _quality(s),
        "study_img_localization_quality": json.loads(s["img_loc_quality_json"])
        if s.get("img_loc_quality_json")
        else {},
    }
    for key in ("study_order", "study_datetime", "gender", "age_decile", "reason_for_exam"):
        if s.get(key) is not None:
            data[key] = s[key]
    if s.get("split_declared"):
        data["split"] = s.get("split")
    if s.get("metadata_json"):
        data["metadata"] = json.loads(s["metadata_json"])
    if s.get("imagenome_json"):
        data.update(json.loads(s["imagenome_json"]))
    data.update(_extra(s))

    images = {}
    for img in row["images"]:
        p = img.properties
        if not p.get("declared"):
            continue
        images[p["image_id"]] = {
            k: p[k]
            for k in (
                "image_id",
                "view_position",
                "patient_orientation",
                "width",
                "height",
                "path",
                "localization_quality",
            )
            if k in p
        } | _extra(p)
    data["images"] = images

    data["sentences"] = {
        n.properties["sent_id"]: {
            "sent_id": n.properties["sent_id"],
            "section": n.properties.get("section"),
            "section_type": n.properties.get("section_type"),
            "sentence": n.properties["text"],
        }
        | _extra(n.properties)
        for n in row["sentences"]
    }

    loc: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for item in row["localizations"]:
        loc[item["key"]][item["image_id"]] = _localization(item["image_id"], item["props"])

    data["observations"] = {
        o.properties["obs_id"]: _observation(o.properties, loc[o.properties["key"]])
        for o in row["observations"]
    }
    data["regions"] = {
        r.properties["region"]: {
            "region": r.properties["region"],
            "laterality": r.properties.get("laterality"),
            "region_localization_quality": r.properties.get("localization_quality"),
            "localization": loc[r.properties["key"]],
        }
        | _extra(r.properties)
        for r in row["regions"]
    }
    if row["indication"] is not None:
        ip = row["indication"].properties
        ind = {
            "indication_summary": ip.get("summary"),
            "patient_info": ip.get("patient_info"),
            "indication": ip.get("indication"),
            "evaluation": ip.get("evaluation"),
            "associated_sentence_ids": ip.get("associated_sentence_ids", []),
            "associated_obs_ids": ip.get("associated_obs_ids", []),
        } | _extra(ip)
        if row["answer"] is not None:
            ap = row["answer"].properties
            ind["answer_for_indication"] = _observation(ap, loc[ap["key"]])
        data["indication"] = ind

    def ordered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in i.items() if k != "order"}
            for i in sorted(items, key=lambda i: i.get("order") or 0)
        ]

    data["obs_relations"] = ordered(
        [
            {
                "parent_observation_id": c["parent"],
                "child_observation_id": c["child"],
                "child_type": c["props"].get("child_type"),
                "order": c["props"].get("order"),
            }
            | _extra(c["props"])
            for c in row["children"]
        ]
    )
    data["obs_sent_relations"] = ordered(
        [
            {"observation_id": c["obs"], "sentence_id": c["sent"], "order": c["props"].get("order")}
            | _extra(c["props"])
            for c in row["obs_sent"]
        ]
    )
    data["located_at_relations"] = ordered(
        [
            {
                "region": c["region"],
                "observation_id": c["obs"],
                "where_specified": c["props"].get("where_specified"),
                "distances": json.loads(c["props"]["distances_json"])
                if c["props"].get("distances_json")
                else [],
                "order": c["props"].get("order"),
            }
            | _extra(c["props"])
            for c in row["located_at"]
        ]
    )
    data["region_region_relations"] = ordered(
        [
            {
                "region": c["to"],
                "related_region": c["from"],
                # stored only for types without a relationship type of their own (even "")
                "relation_type": c["props"]["relation_type"]
                if "relation_type" in c["props"]
                else _REGION_REL_NAMES[c["type"]],
                "order": c["props"].get("order"),
            }
            | _extra(c["props"])
            for c in row["region_rels"]
        ]
    )
    return SceneGraph.model_validate(data)
