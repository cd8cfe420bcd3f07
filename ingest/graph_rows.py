"""SceneGraph → the parameter rows of `cypher/load/write_studies.cypher` (see docs/graph-model.md).

`graph_read.py` is the mirror image: whatever is written here must read back into an
equal SceneGraph, so a field added to the model needs a line in both.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from cxrkg.ingest.model import Localization, Observation, SceneGraph
from cxrkg.ontology.values import grade_of

ROW_KINDS = (
    "studies",
    "images",
    "sentences",
    "observations",
    "indications",
    "regions",
    "children",
    "obs_sent",
    "located_at",
    "sub_region_of",
    "left_of",
    "right_of",
    "other_region_rels",
    "obs_loc",
    "region_loc",
    "ind_sent",
    "ind_obs",
    "entity_links",
    "anatomy_links",
)
# QBA region-region relation types with their own relationship type: (B)-[:T_OF]->(A).
REGION_REL_TYPES = {"sub_region": "sub_region_of", "left": "left_of", "right": "right_of"}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    """Drop nulls and empty lists: a missing property reads back as None (a list, empty)."""
    return {k: v for k, v in props.items() if v is not None and v != []}


def _extra(model: Any) -> str | None:
    extra = model.extras()
    return dumps(extra) if extra else None


def _quality(prefix: str, quality: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{k}": v for k, v in quality.items() if v is not None}


def observation_props(
    study_id: str, obs: Observation, *, top_level: bool, is_indication_answer: bool = False
) -> dict[str, Any]:
    distances = [r.distances for r in obs.regions]
    region_extras = [r.extras() for r in obs.regions]
    props = {
        "key": f"{study_id}/{obs.obs_id}",
        "study_id": study_id,
        "obs_id": obs.obs_id,
        "name": obs.name,
        "summary_sentence": obs.summary_sentence,
        "child_type": obs.child_type,
        "child_level": obs.child_level,
        "top_level": top_level,
        "is_indication_answer": is_indication_answer,
        "laterality": obs.laterality,
        "probability": obs.probability,
        "certainty": obs.certainty,
        "positiveness": obs.positiveness,
        "entities": obs.obs_entities,
        "entities_parents": obs.obs_entities_parents,
        "non_resolved_entities": obs.non_resolved_obs_entities,
        "categories": obs.obs_categories,
        "subcategories": obs.obs_subcategories,
        "regions": [r.region for r in obs.regions],
        "region_distances_json": (
            dumps([distances, region_extras]) if any(distances) or any(region_extras) else None
        ),
        "default_regions": obs.default_regions,
        "non_resolved_regions": obs.non_resolved_regions,
        "modifiers": [f"{t}:{v}" for t, values in obs.modifiers.items() for v in values],
        "modifier_types": list(obs.modifiers),
        "changes": obs.changes,
        "change_sentence": obs.change_sentence,
        "from_report": obs.from_report,
        "grade": grade_of(obs.obs_quality) if obs.obs_quality else None,
        "extra_json": _extra(obs),
        **_quality("q_", obs.obs_quality),
    }
    return _clean(props)


def localization_props(loc: Localization) -> dict[str, Any]:
    return _clean(
        {
            "bboxes_flat": [float(c) for box in loc.bboxes for c in box],
            "localization_reference_ids": loc.localization_reference_ids,
            "instance_mask_ids": loc.instance_mask_ids,
            "missing_localization": loc.missing_localization,
            "is_fallback": loc.is_fallback,
            "localization_quality": loc.localization_quality,
            "extra_json": _extra(loc),
        }
    )


def study_rows(sg: SceneGraph) -> dict[str, list[dict[str, Any]]]:
    """All rows that write one study."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    sid = sg.study_id
    meta = sg.metadata
    imagenome = {
        k: [m.model_dump(mode="json") for m in getattr(sg, k)]
        for k in ("image_objects", "attribute_relations", "comparison_relations")
        if getattr(sg, k)
    }
    rows["studies"].append(
        {
            "patient_id": sg.patient_id,
            "study_id": sid,
            "props": _clean(
                {
                    "study_id": sid,
                    "patient_id": sg.patient_id,
                    "source": sg.source,
                    "content_hash": sg.content_hash(),
                    "split": sg.split if sg.split is not None else (meta.split if meta else None),
                    "split_declared": sg.split is not None,
                    "study_order": sg.study_order,
                    "study_datetime": sg.study_datetime,
                    "gender": sg.gender,
                    "age_decile": sg.age_decile,
                    "reason_for_exam": sg.reason_for_exam,
                    "top_level_obs_ids": sg.top_level_obs_ids,
                    "num_observations": len(sg.observations),
                    "grade": grade_of(sg.study_quality) if sg.study_quality else None,
                    "img_loc_quality_json": (
                        dumps(sg.study_img_localization_quality)
                        if sg.study_img_localization_quality
                        else None
                    ),
                    "metadata_json": dumps(meta.model_dump(mode="json")) if meta else None,
                    "imagenome_json": dumps(imagenome) if imagenome else None,
                    "extra_json": _extra(sg),
                    **_quality("q_", sg.study_quality),
                }
            ),
        }
    )

    # Images: declared ones, plus any image a localization refers to.
    declared = set(sg.images)
    referenced: set[str] = set()
    for holder in [*sg.all_observations().values(), *sg.regions.values()]:
        referenced.update(holder.localization)
    for image_id in sorted(declared | referenced):
        img = sg.images.get(image_id)
        props: dict[str, Any] = {
            "image_id": image_id,
            "study_id": sid,
            "declared": image_id in declared,
        }
        if img is not None:
            props.update(
                {
                    "view_position": img.view_position,
                    "patient_orientation": img.patient_orientation,
                    "width": img.width,
                    "height": img.height,
                    "path": img.path,
                    "is_frontal": img.is_frontal if img.view_position else None,
                    "localization_quality": img.localization_quality,
                    "extra_json": _extra(img),
                }
            )
        rows["images"].append({"study_id": sid, "image_id": image_id, "props": _clean(props)})

    for sent in sg.sentences.values():
        rows["sentences"].append(
            {
                "study_id": sid,
                "props": _clean(
                    {
                        "key": f"{sid}/{sent.sent_id}",
                        "study_id": sid,
                        "sent_id": sent.sent_id,
                        "section": sent.section,
                        "section_type": sent.section_type,
                        "text": sent.sentence,
                        "extra_json": _extra(sent),
                    }
                ),
            }
        )

    top = set(sg.top_level_obs_ids)
    for obs in sg.observations.values():
        rows["observations"].append(
            {"study_id": sid, "props": observation_props(sid, obs, top_level=obs.obs_id in top)}
        )

    ind = sg.indication
    if ind is not None:
        answer = ind.answer_for_indication
        rows["indications"].append(
            {
                "study_id": sid,
                "props": _clean(
                    {
                        "key": sid,
                        "study_id": sid,
                        "summary": ind.indication_summary,
                        "patient_info": ind.patient_info,
                        "indication": ind.indication,
                        "evaluation": ind.evaluation,
                        "associated_sentence_ids": ind.associated_sentence_ids,
                        "associated_obs_ids": ind.associated_obs_ids,
                        "has_answer": answer is not None,
                        "extra_json": _extra(ind),
                    }
                ),
                "answer": (
                    observation_props(sid, answer, top_level=False, is_indication_answer=True)
                    if answer
                    else None
                ),
            }
        )
        rows["ind_sent"] += [
            {"study_id": sid, "sent": f"{sid}/{s}"} for s in ind.associated_sentence_ids
        ]
        rows["ind_obs"] += [{"study_id": sid, "obs": f"{sid}/{o}"} for o in ind.associated_obs_ids]

    for reg in sg.regions.values():
        key = f"{sid}/{reg.region}"
        rows["regions"].append(
            {
                "study_id": sid,
                "props": _clean(
                    {
                        "key": key,
                        "study_id": sid,
                        "region": reg.region,
                        "laterality": reg.laterality,
                        "localization_quality": reg.region_localization_quality,
                        "extra_json": _extra(reg),
                    }
                ),
            }
        )
        rows["anatomy_links"].append({"key": key, "name": reg.region})
        for image_id, loc in reg.localization.items():
            rows["region_loc"].append(
                {"key": key, "image_id": image_id, "props": localization_props(loc)}
            )

    for obs in sg.all_observations().values():
        key = f"{sid}/{obs.obs_id}"
        for image_id, loc in obs.localization.items():
            rows["obs_loc"].append(
                {"key": key, "image_id": image_id, "props": localization_props(loc)}
            )
        rows["entity_links"] += [{"key": key, "name": e} for e in dict.fromkeys(obs.obs_entities)]

    for i, rel in enumerate(sg.obs_relations):
        rows["children"].append(
            {
                "parent": f"{sid}/{rel.parent_observation_id}",
                "child": f"{sid}/{rel.child_observation_id}",
                "props": _clean(
                    {"child_type": rel.child_type, "order": i, "extra_json": _extra(rel)}
                ),
            }
        )
    for i, rel in enumerate(sg.obs_sent_relations):
        rows["obs_sent"].append(
            {
                "obs": f"{sid}/{rel.observation_id}",
                "sent": f"{sid}/{rel.sentence_id}",
                "props": _clean({"order": i, "extra_json": _extra(rel)}),
            }
        )
    for i, rel in enumerate(sg.located_at_relations):
        rows["located_at"].append(
            {
                "obs": f"{sid}/{rel.observation_id}",
                "region": f"{sid}/{rel.region}",
                "props": _clean(
                    {
                        "order": i,
                        "where_specified": rel.where_specified,
                        "distances_json": dumps(rel.distances) if rel.distances else None,
                        "extra_json": _extra(rel),
                    }
                ),
            }
        )
    for i, rel in enumerate(sg.region_region_relations):
        kind = REGION_REL_TYPES.get(rel.relation_type)
        props = {"order": i, "extra_json": _extra(rel)}
        if not kind:
            props["relation_type"] = rel.relation_type
        rows[kind or "other_region_rels"].append(
            {
                "from": f"{sid}/{rel.related_region}",
                "to": f"{sid}/{rel.region}",
                "props": _clean(props),
            }
        )
    return rows


def merge_rows(parts: list[dict[str, list[dict[str, Any]]]]) -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {kind: [] for kind in ROW_KINDS}
    for part in parts:
        for kind, rows in part.items():
            merged[kind].extend(rows)
    return merged


# -- what a write claims, and what the store cannot hold ---------------------------------
# Node labels whose key a study's write creates (CREATE, not MERGE): a key another node
# already holds fails the write statement (a uniqueness constraint), so the loader checks
# them first. Patients and studies are merged, ontology nodes only matched.
CLAIMED = {
    "images": ("Image", "image_id"),
    "sentences": ("Sentence", "key"),
    "observations": ("Observation", "key"),
    "regions": ("StudyRegion", "key"),
    "indications": ("Indication", "key"),
}
INT64 = (-(2**63), 2**63 - 1)


def claims(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """Keys of the nodes a study's rows create, per row kind of CLAIMED (answers of the
    indication are observations)."""
    out: dict[str, list[str]] = {kind: [] for kind in CLAIMED}
    for kind, (_, key) in CLAIMED.items():
        for row in rows.get(kind, []):
            out[kind].append(row["props"][key])
    for row in rows.get("indications", []):
        if row.get("answer"):
            out["observations"].append(row["answer"]["key"])
    return out


def duplicate_claim(sg: SceneGraph, rows: dict[str, list[dict[str, Any]]]) -> str | None:
    """A key the study itself would create twice (so its write would fail), described."""
    ind = sg.indication
    answer = ind.answer_for_indication if ind else None
    if answer is not None and answer.obs_id in sg.observations:
        return (
            f"indication.answer_for_indication.obs_id: {answer.obs_id!r} is also the id of"
            f" observations.{answer.obs_id}; the indication's answer needs an id of its own"
        )
    for kind, keys in claims(rows).items():
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                return f"{kind}: the key {key!r} occurs twice in this study"
            seen.add(key)
    return None


def unstorable(rows: dict[str, list[dict[str, Any]]]) -> str | None:
    """The first property value the graph cannot store exactly, described (None: all fine).

    Both stores take text, 64-bit integers, finite floats, booleans and flat lists of
    those; anything else would fail the write statement or be stored changed."""
    for kind, kind_rows in rows.items():
        for row in kind_rows:
            for where, props in (("", row.get("props")), (" answer", row.get("answer"))):
                for name, value in (props or {}).items():
                    problem = _value_problem(value)
                    if problem:
                        ident = (props or {}).get("key") or (props or {}).get("image_id") or ""
                        return f"{kind}{where} {ident} property {name}: {problem}".replace(
                            "  ", " "
                        )
    return None


def _value_problem(value: Any, nested: bool = False) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            return f"{value} is outside the 64-bit integer range the graph stores"
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return f"{value} is not a finite number"
        return None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"text with a character that is not valid Unicode ({exc.reason})"
        return None
    if isinstance(value, list) and not nested:
        for item in value:
            problem = _value_problem(item, nested=True)
            if problem:
                return problem
        return None
    return f"a {type(value).__name__} value, which no graph property can hold"


def invalid_text(value: Any, path: str = "") -> str | None:
    """Where in a scene graph's data (`model_dump()`) text is not valid Unicode (a lone
    surrogate, which no store or file can hold), described; None if nowhere."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (
                f"{path or 'text'}: text with a character that is not valid Unicode ({exc.reason})"
            )
        return None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for key, item in items:
        where = f"{path}{key}" if str(key).startswith("[") else f"{path}.{key}" if path else key
        found = invalid_text(key, where) or invalid_text(item, where)
        if found:
            return found
    return None
