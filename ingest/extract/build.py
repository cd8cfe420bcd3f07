"""Graph construction (QBA section 1c): raw extraction -> a complete `SceneGraph`.

The steps live by job: `normalize` (fields mapped to the reference definitions, normal
statements, merging, contradictions), `defaults` (default negative observations),
`regions` (the region tree and boxes), `quality` (the 3a criteria) and
`indication_answer` (the OIND observation). This module runs them in order.
"""

from __future__ import annotations

from typing import Any

from cxrkg.ingest.extract import defaults, wordlists
from cxrkg.ingest.extract.concepts import Concepts
from cxrkg.ingest.extract.indication_answer import indication
from cxrkg.ingest.extract.lexicon import tokenize
from cxrkg.ingest.extract.normalize import Item, Normalizer
from cxrkg.ingest.extract.quality import observation_quality, worst
from cxrkg.ingest.extract.records import Extraction
from cxrkg.ingest.extract.regions import Localizer, RegionBox, region_tree
from cxrkg.ingest.mapping import ConceptMapper
from cxrkg.ingest.model import (
    Image,
    LocatedAt,
    Observation,
    ObsRelation,
    ObsSentRelation,
    SceneGraph,
    Sentence,
)
from cxrkg.ontology.values import EXTRACTION_CRITERIA

__all__ = ["GraphBuilder", "RegionBox"]


class GraphBuilder:
    """Builds scene graphs against one ontology and one concept mapper."""

    def __init__(self, onto: Any, mapper: ConceptMapper) -> None:
        self.onto = onto
        self.mapper = mapper
        self.concepts = Concepts(onto)
        self.normalizer = Normalizer(self.concepts, mapper)
        self.localizer = Localizer(self.concepts)

    def build(
        self,
        extraction: Extraction,
        *,
        patient_id: str,
        study_id: str,
        images: dict[str, Image] | None = None,
        region_boxes: dict[str, dict[str, RegionBox]] | None = None,
        source: str = "reports",
        add_default_negatives: bool = True,
        **study_fields: Any,
    ) -> SceneGraph:
        sentences = {
            s.sent_id: Sentence(
                sent_id=s.sent_id, section=s.section, section_type=s.section_type, sentence=s.text
            )
            for s in extraction.sentences
        }
        items = [
            Item.of(raw, s.sent_id, s.section_type)
            for s in extraction.sentences
            for raw in s.observations
        ]
        self.normalizer.map_all(items)
        items = self.normalizer.merge(items)
        self.normalizer.flag_contradictions(items)
        if add_default_negatives and any(
            s.section_type in ("FINDINGS", "IMPRESSION") for s in extraction.sentences
        ):
            items += defaults.add_default_negatives(items, self.concepts, self.normalizer)

        observations: dict[str, Observation] = {}
        top_ids: list[str] = []
        obs_relations: list[ObsRelation] = []
        obs_sent: list[ObsSentRelation] = []
        for n, item in enumerate(items, start=1):
            oid = f"O{n:02d}"
            top_ids.append(oid)
            _emit(item, oid, 0, observations, obs_relations, obs_sent)

        sent_by_obs: dict[str, list[str]] = {}
        for rel in obs_sent:
            sent_by_obs.setdefault(rel.observation_id, []).append(rel.sentence_id)
        impression = {s.sent_id for s in extraction.sentences if s.section_type == "IMPRESSION"}
        ind = indication(
            extraction.indication,
            observations,
            sent_by_obs,
            self.concepts,
            self.mapper,
            summary_sentences=impression,
        )
        all_obs = dict(observations)
        if ind and ind.answer_for_indication:
            all_obs["OIND"] = ind.answer_for_indication

        regions, region_rel = region_tree(self.concepts, all_obs)
        located = [
            LocatedAt(
                region=r.region,
                observation_id=o.obs_id,
                distances=r.distances,
                where_specified="direct" if o.extras().get("regions_specified") else "default",
            )
            for o in all_obs.values()
            for r in o.regions
        ]
        for o in all_obs.values():  # a construction note, not part of the scene graph
            (o.__pydantic_extra__ or {}).pop("regions_specified", None)
        images = images or {}
        img_quality: dict[str, str] = {}
        if region_boxes:
            self.localizer.localize(all_obs, regions, region_boxes)
        for o in all_obs.values():
            loc_q = [lz.localization_quality for lz in o.localization.values()]
            o.obs_quality["localization_quality"] = (
                worst("localization_quality", loc_q) if loc_q else "NO_LOCALIZATION"
            )
        for image_id in images:
            qs = [
                o.localization[image_id].localization_quality
                for o in all_obs.values()
                if image_id in o.localization
            ]
            img_quality[image_id] = worst("localization_quality", qs) if qs else "NO_LOCALIZATION"
            images[image_id].localization_quality = img_quality[image_id]
        study_quality = {
            c: worst(c, [o.obs_quality.get(c) for o in all_obs.values()])
            for c in EXTRACTION_CRITERIA
        }
        if not all_obs:
            study_quality = {c: None for c in EXTRACTION_CRITERIA}
        sg = SceneGraph(
            patient_id=patient_id,
            study_id=study_id,
            sentences=sentences,
            top_level_obs_ids=top_ids,
            observations=observations,
            indication=ind,
            regions=regions,
            located_at_relations=located,
            obs_relations=obs_relations,
            obs_sent_relations=obs_sent,
            region_region_relations=region_rel,
            study_quality=study_quality,
            study_img_localization_quality=img_quality,
            images=images,
            source=source,
            **study_fields,
        )
        if extraction.extractor != "rules" or extraction.issues:
            sg.__pydantic_extra__ = {
                **(sg.__pydantic_extra__ or {}),
                "extractor": extraction.extractor,
                "extraction_issues": list(extraction.issues),
            }
        unread = uninterpreted(extraction)
        if unread:
            sg.__pydantic_extra__ = {
                **(sg.__pydantic_extra__ or {}),
                "uninterpreted_sentence_ids": unread,
            }
        return sg


def uninterpreted(extraction: Extraction) -> list[str]:
    """FINDINGS/IMPRESSION sentences that say something but gave no observation ("Calcified
    left hilar XXXX.", "The mediastinal contours are stable."): the extractor may have missed
    a finding there, so answers that the study has nothing abnormal are graded down for it.
    Views, technique, comparison and advice are not counted (wordlists/boilerplate.txt)."""
    if extraction.extractor not in ("rules", "llm"):
        return []  # a structured source (PadChest labels) has no prose to miss
    words = wordlists.load()
    out = []
    for s in extraction.sentences:
        if s.section_type not in ("FINDINGS", "IMPRESSION") or s.observations:
            continue
        tokens = [t.text for t in tokenize(s.text)]
        content = [t for t in tokens if t.isalpha() and len(t) > 2 and t != "xxxx"]
        boiler = any(
            tuple(tokens[i : i + len(k)]) == k
            for k in words.boilerplate
            for i in range(len(tokens))
        )
        if len(content) >= 2 and not boiler:
            out.append(s.sent_id)
    return out


def _emit(
    item: Item,
    oid: str,
    level: int,
    observations: dict[str, Observation],
    obs_relations: list[ObsRelation],
    obs_sent: list[ObsSentRelation],
) -> None:
    o = item.obs
    assert o is not None
    o.obs_id = oid
    o.child_level = level
    o.obs_quality = observation_quality(item)
    observations[oid] = o
    for s in item.sent_ids:
        obs_sent.append(ObsSentRelation(observation_id=oid, sentence_id=s))
    for k, child in enumerate(item.children, start=1):
        cid = f"{oid}.{k:02d}"
        _emit(child, cid, level + 1, observations, obs_relations, obs_sent)
        obs_relations.append(
            ObsRelation(
                parent_observation_id=oid,
                child_observation_id=cid,
                child_type=child.obs.child_type if child.obs else None,
            )
        )
