"""The answer tree: observations of a study (and template answers) as QBA answer objects."""

from __future__ import annotations

from typing import Any

from cxrkg.qa_gen.study_data import StudyData
from cxrkg.qa_gen.templates import sentence

MAIN, DETAILS, RELATED = "main_answer", "details", "related_information"


def localization(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """LOCALIZED_IN edges as QBA's `{image_id: {..., bboxes: [[x1, y1, x2, y2], ...]}}`."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        flat = [float(c) for c in (row.get("bboxes_flat") or [])]
        out[row["image_id"]] = {
            "image_id": row["image_id"],
            "localization_reference_ids": list(row.get("localization_reference_ids") or []),
            "bboxes": [flat[i : i + 4] for i in range(0, len(flat) - len(flat) % 4, 4)],
            "instance_mask_ids": list(row.get("instance_mask_ids") or []),
            "missing_localization": list(row.get("missing_localization") or []),
            "is_fallback": bool(row.get("is_fallback") or False),
            "localization_quality": row.get("localization_quality"),
        }
    return out


def modifier_pairs(modifiers: list[str] | None) -> list[list[str]]:
    return [m.split(":", 1) for m in (modifiers or []) if ":" in m]


def observation_text(obs: dict[str, Any]) -> tuple[str, bool]:
    """The observation's report-derived sentence, else a sentence made from its name."""
    summary = (obs.get("summary_sentence") or "").strip()
    if summary:
        return sentence(summary), bool(obs.get("from_report", True))
    return sentence(obs.get("name") or ", ".join(obs.get("entities") or []) or "finding"), False


def obs_answer(
    sd: StudyData,
    obs_id: str,
    answer_type: str,
    level: int = 0,
    _seen: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """One observation as an answer, its children as sub-answers (one level deeper). The
    record is the caller's own: families may change it without touching another question's."""
    key = (obs_id, answer_type, level, _seen)
    built = sd.answer_cache.get(key)
    if built is None:
        built = sd.answer_cache[key] = _obs_answer(sd, obs_id, answer_type, level, _seen)
    return _own_copy(built)


def _own_copy(answer: dict[str, Any]) -> dict[str, Any]:
    # What families and grading change in place: the record's own keys and answer_quality.
    return {
        **answer,
        "answer_quality": dict(answer["answer_quality"]),
        "sub_answers": [_own_copy(sub) for sub in answer["sub_answers"]],
    }


def _obs_answer(
    sd: StudyData, obs_id: str, answer_type: str, level: int, _seen: frozenset[str]
) -> dict[str, Any]:
    rec = sd.obs[obs_id]
    o = rec["obs"]
    text, from_report = observation_text(o)
    seen = _seen | {obs_id}
    subs = [
        obs_answer(
            sd, c["obs_id"], answer_type if answer_type == RELATED else DETAILS, level + 1, seen
        )
        for c in rec["children"]
        if c["obs_id"] in sd.obs and c["obs_id"] not in seen
    ]
    return {
        "answer_id": "",
        "answer_type": answer_type,
        "answer_level": level,
        "text": text,
        "name_tag": sentence(o.get("name") or "").rstrip("."),
        "laterality": o.get("laterality"),
        "regions": list(o.get("regions") or []),
        "obs_entities": list(o.get("entities") or []),
        "obs_entities_parents": list(o.get("entities_parents") or []),
        "obs_categories": list(o.get("categories") or []),
        "obs_subcategories": list(o.get("subcategories") or []),
        "certainty": o.get("certainty"),
        "positiveness": o.get("positiveness"),
        "modifiers": modifier_pairs(o.get("modifiers")),
        "localization": localization(rec["localization"]),
        "sub_answers": subs,
        "from_report": from_report,
        "extraction_quality": {
            k[2:]: v for k, v in sorted(o.items()) if k.startswith("q_") and v is not None
        },
        "answer_quality": {},
        "_obs_id": obs_id,
        "_study_id": sd.study_id,
    }


def template_answer(
    text: str,
    answer_type: str = MAIN,
    *,
    positiveness: str | None = None,
    regions: list[str] | None = None,
    entities: list[str] | None = None,
    sd: StudyData | None = None,
) -> dict[str, Any]:
    """A template-based answer; region boxes come from the study's region nodes."""
    loc: dict[str, dict[str, Any]] = {}
    laterality = None
    if sd is not None:
        for region in regions or []:
            rec = sd.regions.get(region)
            if rec is None:
                continue
            laterality = laterality or rec.get("laterality")
            for image_id, item in localization(rec["localization"]).items():
                if image_id in loc:
                    loc[image_id]["bboxes"] += item["bboxes"]
                    loc[image_id]["localization_reference_ids"] += item[
                        "localization_reference_ids"
                    ]
                else:
                    loc[image_id] = item
    return {
        "answer_id": "",
        "answer_type": answer_type,
        "answer_level": 0,
        "text": text,
        "name_tag": text.rstrip("."),
        "laterality": laterality,
        "regions": list(regions or []),
        "obs_entities": list(entities or []),
        "obs_entities_parents": [],
        "obs_categories": [],
        "obs_subcategories": [],
        "certainty": "certain",
        "positiveness": positiveness,
        "modifiers": [],
        "localization": loc,
        "sub_answers": [],
        "from_report": False,
        "extraction_quality": {},
        "answer_quality": {},
        "_obs_id": None,
        "_study_id": sd.study_id if sd else None,
    }


def not_mentioned(answer: dict[str, Any]) -> dict[str, Any]:
    """Mark a template negative the report does not state (a read report that names no
    device or artifact): the seed's entailment option for it, which caps the grade at A."""
    answer["answer_quality"]["entailment"] = "ALIGNED_NEGATIVE_NOT_MENTIONED"
    return answer


def top_level(sd: StudyData, obs_ids: list[str]) -> list[str]:
    """The given observations without those whose ancestor is also given (they nest under it)."""
    chosen = set(obs_ids)
    out = []
    for oid in sd.order(obs_ids):
        parent, nested = sd.parent_of.get(oid), False
        hops = 0
        while parent is not None and hops < 32:
            if parent in chosen:
                nested = True
                break
            parent, hops = sd.parent_of.get(parent), hops + 1
        if not nested and oid in sd.obs:
            out.append(oid)
    return out


def obs_answers(
    sd: StudyData, obs_ids: list[str], answer_type: str, exclude: set[str] | None = None
) -> list[dict[str, Any]]:
    """Answers for observations (children nested), skipping those already answered."""
    exclude = exclude or set()
    return [
        obs_answer(sd, oid, answer_type) for oid in top_level(sd, obs_ids) if oid not in exclude
    ]


def walk(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every answer of a tree, parents before children."""
    out: list[dict[str, Any]] = []
    for ans in answers:
        out.append(ans)
        out.extend(walk(ans["sub_answers"]))
    return out
