"""Graph construction, extraction quality (QBA section 3a): each observation's region,
entity, sentence/name, change and issue-level criteria, and the worst over a study."""

from __future__ import annotations

import re
from typing import Any

from cxrkg.ingest.extract import wordlists
from cxrkg.ingest.extract.normalize import Item
from cxrkg.ontology.values import option

DEID = re.compile(r"_{2,}|\bX{3,}\b")


def observation_quality(item: Item) -> dict[str, Any]:
    o = item.obs
    assert o is not None
    specified = bool((o.__pydantic_extra__ or {}).get("regions_specified"))
    if not o.regions:
        region_q = "NO_REGIONS"
    elif o.non_resolved_regions:
        region_q = "CONTAINS_NON_RESOLVED_REGIONS"
    elif not specified:
        region_q = "DEFAULT_REGIONS_ONLY"
    elif any(r.region in o.default_regions for r in o.regions) and len(o.regions) > 1:
        region_q = "CONTAINS_DEFAULT_REGIONS"
    else:
        region_q = "RESOLVED_REGIONS_ONLY"
    if o.non_resolved_obs_entities:
        entity_q = "CONTAINS_NON_RESOLVED_ENTITIES"
    elif not o.obs_entities:
        entity_q = "NO_ENTITIES"
    else:
        entity_q = "RESOLVED_ENTITIES_ONLY"
    text = f"{o.name} {o.summary_sentence or ''}".lower()
    if any(re.search(rf"\b{re.escape(p)}\b", text) for p in wordlists.load().change_words):
        name_q = "CHANGE_IN_SENTENCE_OR_NAME"
    elif DEID.search(f"{o.name} {o.summary_sentence or ''}"):
        name_q = "UNDERSCORES_IN_SENTENCE_OR_NAME"
    else:
        name_q = "NO_ISSUES"
    if o.changes and not o.change_sentence:
        change_q = "CHANGE_SENTENCE_REMOVED"
    elif o.change_sentence and DEID.search(o.change_sentence):
        change_q = "UNDERSCORES_IN_CHANGE_SENTENCE"
    elif item.non_resolved_changes:
        change_q = "CONTAINS_NON_RESOLVED_CHANGES"
    else:
        change_q = "NO_ISSUES"
    return {
        "region_quality": region_q,
        "entity_quality": entity_q,
        "sentence_name_quality": name_q,
        "change_quality": change_q,
        "issue_level": item.issue,
    }


def worst(criterion: str, values: list[Any]) -> str | None:
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return min(vals, key=lambda v: option(criterion, v).code)
