"""Graph construction (QBA section 1c): raw extraction -> a complete `SceneGraph`.

Maps every field to the reference definitions, derives default regions, merges similar
observations, checks consistency, adds default negative observations, fills the region
tree, attaches boxes and the indication answer, and records every 3a quality criterion.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cxrkg.ingest.extract.records import Extraction, RawIndication, RawObservation
from cxrkg.ingest.mapping import ConceptMapper
from cxrkg.ingest.model import (
    Image,
    Indication,
    Localization,
    LocatedAt,
    Observation,
    ObsRelation,
    ObsSentRelation,
    Region,
    RegionRef,
    RegionRegionRelation,
    SceneGraph,
    Sentence,
)
from cxrkg.ontology.values import CHANGES, EXTRACTION_CRITERIA, MODIFIERS, PROBABILITY, option

# Findings every chest X-ray report speaks to; absent from the report means absent (QBA's
# "pre-defined negative default observations"), unless something related is mentioned.
DEFAULT_NEGATIVES: tuple[str, ...] = (
    "pneumothorax",
    "pleural effusion",
    "consolidation",
    "pulmonary edema",
)

_PROBABILITY_ALIASES = {
    "definite": "positive",
    "present": "positive",
    "yes": "positive",
    "pos": "positive",
    "certain": "positive",
    "likely": "probable",
    "high": "high probability",
    "low": "low probability",
    "absent": "negative",
    "no": "negative",
    "neg": "negative",
    "none": "negative",
    "possibly": "possible",
    "might": "may",
    "could": "may",
    "questionable": "possible",
    "suspected": "possible",
}
_CHANGE_ALIASES = {
    "worse": "worsened",
    "worsening": "worsened",
    "increase": "increased",
    "improving": "improved",
    "decrease": "decreased",
    "no change": "unchanged",
    "same": "unchanged",
    "similar": "unchanged",
    "resolving": "resolved",
    "persisting": "persistent",
    "newly": "new",
}
_MODIFIER_TYPE = {v: t for t, vals in MODIFIERS.items() for v in vals}
_DEID = re.compile(r"_{2,}|\bX{3,}\b")


@dataclass
class RegionBox:
    """Boxes of one region on one image; `source` is mask, bbox or segmentation."""

    bboxes: list[tuple[float, float, float, float]]
    source: str = "bbox"


@dataclass
class _Obs:
    raw: RawObservation
    sent_ids: list[str]
    section: str | None
    children: list[_Obs] = field(default_factory=list)
    obs: Observation | None = None
    issue: str = "NO_ISSUES"
    non_resolved_changes: list[str] = field(default_factory=list)


def _names(items: Iterable[Any]) -> list[str]:
    return [i if isinstance(i, str) else i.name for i in items or ()]


class GraphBuilder:
    """Builds scene graphs against one ontology and one concept mapper."""

    def __init__(self, onto: Any, mapper: ConceptMapper) -> None:
        self.onto = onto
        self.mapper = mapper
        self._ancestors: dict[str, list[str]] = {}

    # -- ontology helpers ----------------------------------------------------------------
    def ancestors(self, name: str) -> list[str]:
        if name not in self._ancestors:
            try:
                self._ancestors[name] = _names(self.onto.ancestors(name))
            except KeyError:
                self._ancestors[name] = []
        return self._ancestors[name]

    def _related(self, name: str) -> set[str]:
        """A finding, its descendants and its non-root ancestors (what can contradict it)."""
        out = {name}
        with contextlib.suppress(KeyError):
            out |= set(_names(self.onto.descendants(name)))
        for a in self.ancestors(name):
            concept = self.onto.get(a, kind="finding")
            if concept is not None and concept.parents:
                out.add(a)
        return out

    def lateralize(self, region: str, side: str | None) -> str:
        """`lung base` + left -> `left lung base` where the ontology has it."""
        if side not in ("left", "right"):
            return region
        concept = self.onto.get(region, kind="region")
        if concept is None or concept.laterality in ("left", "right"):
            return region
        for candidate in (f"{side} {region}", f"{side} {region.removesuffix('s')}"):
            c = self.onto.get(candidate, kind="region")
            if c is not None:
                return c.name
        return region

    # -- fields --------------------------------------------------------------------------
    @staticmethod
    def probability(text: str) -> tuple[str, bool]:
        key = re.sub(r"\s+", " ", text.strip().lower().replace("_", " "))
        if key in PROBABILITY:
            return key, True
        if key in _PROBABILITY_ALIASES:
            return _PROBABILITY_ALIASES[key], True
        return "uncertain", False

    @staticmethod
    def modifiers(raw: dict[str, list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {t: [] for t in MODIFIERS}
        for mtype, values in raw.items():
            for v in values:
                v = v.strip().lower()
                t = mtype if v in MODIFIERS.get(mtype, ()) else _MODIFIER_TYPE.get(v)
                if t and v not in out[t]:
                    out[t].append(v)
        return out

    @staticmethod
    def changes(raw: list[str]) -> tuple[list[str], list[str]]:
        ok, bad = [], []
        for c in raw:
            key = c.strip().lower()
            key = _CHANGE_ALIASES.get(key, key)
            (ok if key in CHANGES else bad).append(key if key in CHANGES else c)
        return list(dict.fromkeys(ok)), bad

    # -- build ---------------------------------------------------------------------------
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
        items: list[_Obs] = []
        for s in extraction.sentences:
            for raw in s.observations:
                items.append(self._tree(raw, s.sent_id, s.section_type))
        self._map_all(items)
        items = self._merge(items)
        self._consistency(items)
        if add_default_negatives and any(
            s.section_type in ("FINDINGS", "IMPRESSION") for s in extraction.sentences
        ):
            items += self._default_negatives(items)

        observations: dict[str, Observation] = {}
        top_ids: list[str] = []
        obs_relations: list[ObsRelation] = []
        obs_sent: list[ObsSentRelation] = []
        for n, item in enumerate(items, start=1):
            oid = f"O{n:02d}"
            top_ids.append(oid)
            self._emit(item, oid, 0, observations, obs_relations, obs_sent)

        sent_by_obs: dict[str, list[str]] = {}
        for rel in obs_sent:
            sent_by_obs.setdefault(rel.observation_id, []).append(rel.sentence_id)
        indication = self._indication(extraction.indication, observations, sent_by_obs)
        all_obs = dict(observations)
        if indication and indication.answer_for_indication:
            all_obs["OIND"] = indication.answer_for_indication

        regions, region_rel = self._region_tree(all_obs)
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
            self._localize(all_obs, regions, region_boxes)
        for o in all_obs.values():
            loc_q = [lz.localization_quality for lz in o.localization.values()]
            o.obs_quality["localization_quality"] = (
                _worst("localization_quality", loc_q) if loc_q else "NO_LOCALIZATION"
            )
        for image_id in images:
            qs = [
                o.localization[image_id].localization_quality
                for o in all_obs.values()
                if image_id in o.localization
            ]
            img_quality[image_id] = _worst("localization_quality", qs) if qs else "NO_LOCALIZATION"
            images[image_id].localization_quality = img_quality[image_id]
        study_quality = {
            c: _worst(c, [o.obs_quality.get(c) for o in all_obs.values()])
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
            indication=indication,
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
        return sg

    def _tree(self, raw: RawObservation, sent_id: str, section: str | None) -> _Obs:
        return _Obs(
            raw, [sent_id], section, [self._tree(c, sent_id, section) for c in raw.children]
        )

    def _map_all(self, items: list[_Obs]) -> None:
        flat: list[_Obs] = []
        stack = list(items)
        while stack:
            it = stack.pop()
            flat.append(it)
            stack.extend(it.children)
        ents = self.mapper.map_many([e for it in flat for e in it.raw.entity], "finding")
        regs = self.mapper.map_many([r for it in flat for r in it.raw.regions], "region")
        ei = ri = 0
        for it in flat:
            e_maps = ents[ei : ei + len(it.raw.entity)]
            r_maps = regs[ri : ri + len(it.raw.regions)]
            ei += len(it.raw.entity)
            ri += len(it.raw.regions)
            it.obs = self._observation(it, e_maps, r_maps)

    def _observation(self, it: _Obs, e_maps: list[Any], r_maps: list[Any]) -> Observation:
        raw = it.raw
        entities = list(dict.fromkeys(m.name for m in e_maps if m.name))
        non_res_e = [m.text for m in e_maps if not m.name]
        concepts = [c for c in (self.onto.get(e, kind="finding") for e in entities) if c]
        mapped_regions = [m.name for m in r_maps if m.name]
        region_concepts = [self.onto.get(r, kind="region") for r in mapped_regions]
        laterality = raw.laterality
        if laterality is None:
            sides = {c.laterality for c in region_concepts if c and c.laterality}
            laterality = sides.pop() if len(sides) == 1 else ("bilateral" if sides else None)
        regions = list(dict.fromkeys(self.lateralize(r, laterality) for r in mapped_regions))
        defaults = list(
            dict.fromkeys(
                self.lateralize(d, laterality)
                for c in concepts
                for d in (c.default_regions or [])
                if self.onto.get(d, kind="region") is not None
            )
        )
        specified = bool(regions)
        if not regions:
            regions = list(defaults)
        parents = list(
            dict.fromkeys(a for e in entities for a in self.ancestors(e) if a not in entities)
        )
        probability, prob_ok = self.probability(raw.probability)
        certainty, positiveness = PROBABILITY[probability]
        changes, bad_changes = self.changes(raw.change)
        it.non_resolved_changes = bad_changes
        if not prob_ok:
            it.issue = "FIXABLE"
        name = raw.name.strip() or (entities[0] if entities else "observation")
        summary = raw.summary_sentence.strip() or name
        obs = Observation(
            obs_id="tmp",
            name=name,
            summary_sentence=summary,
            child_type=raw.child_type,
            regions=[RegionRef(region=r) for r in regions],
            non_resolved_regions=[m.text for m in r_maps if not m.name],
            laterality=laterality,
            default_regions=defaults,
            obs_entities=entities,
            obs_entities_parents=parents,
            non_resolved_obs_entities=non_res_e,
            obs_categories=list(dict.fromkeys(x for c in concepts for x in c.categories or [])),
            obs_subcategories=list(
                dict.fromkeys(x for c in concepts for x in c.subcategories or [])
            ),
            probability=probability,
            certainty=certainty,
            positiveness=positiveness,
            modifiers=self.modifiers(raw.modifiers),
            changes=changes,
            change_sentence=raw.change_sentence,
            from_report=True,
        )
        if specified:
            obs.__pydantic_extra__ = {"regions_specified": True}
        return obs

    def _merge(self, items: list[_Obs]) -> list[_Obs]:
        """Observations saying the same thing (FINDINGS and IMPRESSION) become one."""
        out: list[_Obs] = []
        seen: dict[tuple[Any, ...], _Obs] = {}
        for it in items:
            o = it.obs
            assert o is not None
            key = (
                frozenset(o.obs_entities),
                o.positiveness,
                frozenset(r.region for r in o.regions),
                o.laterality,
            )
            first = seen.get(key)
            if o.obs_entities and first is not None and not it.children and not first.children:
                first.sent_ids += [s for s in it.sent_ids if s not in first.sent_ids]
                fo = first.obs
                assert fo is not None
                for t, vals in o.modifiers.items():
                    fo.modifiers.setdefault(t, [])
                    fo.modifiers[t] += [v for v in vals if v not in fo.modifiers[t]]
                fo.changes += [c for c in o.changes if c not in fo.changes]
                fo.change_sentence = fo.change_sentence or o.change_sentence
                continue
            seen.setdefault(key, it)
            out.append(it)
        return out

    def _consistency(self, items: list[_Obs]) -> None:
        """A finding stated both positive and negative for the same place is an issue."""
        by_key: dict[tuple[str, frozenset[str]], list[_Obs]] = {}
        for it in items:
            o = it.obs
            assert o is not None
            if o.certainty != "certain" or o.changes:
                continue
            for e in o.obs_entities:
                by_key.setdefault((e, frozenset(r.region for r in o.regions)), []).append(it)
        for group in by_key.values():
            if len({it.obs.positiveness for it in group if it.obs}) > 1:
                for it in group:
                    it.issue = "MOSTLY_INTERPRETABLE"

    def _default_negatives(self, items: list[_Obs]) -> list[_Obs]:
        mentioned: set[str] = set()
        stack = list(items)
        while stack:
            it = stack.pop()
            stack.extend(it.children)
            if it.obs:
                mentioned |= set(it.obs.obs_entities)
        out = []
        for name in DEFAULT_NEGATIVES:
            concept = self.onto.get(name, kind="finding")
            if concept is None or self._related(concept.name) & mentioned:
                continue
            raw = RawObservation(
                name=f"no {concept.name}",
                summary_sentence=f"There is no {concept.name}.",
                entity=[concept.name],
                probability="negative",
            )
            it = _Obs(raw, [], None)
            self._map_single(it)
            assert it.obs is not None
            it.obs.from_report = False
            out.append(it)
        return out

    def _map_single(self, it: _Obs) -> None:
        it.obs = self._observation(
            it,
            self.mapper.map_many(it.raw.entity, "finding"),
            self.mapper.map_many(it.raw.regions, "region"),
        )

    def _emit(
        self,
        item: _Obs,
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
        o.obs_quality = self._quality(item)
        observations[oid] = o
        for s in item.sent_ids:
            obs_sent.append(ObsSentRelation(observation_id=oid, sentence_id=s))
        for k, child in enumerate(item.children, start=1):
            cid = f"{oid}.{k:02d}"
            self._emit(child, cid, level + 1, observations, obs_relations, obs_sent)
            obs_relations.append(
                ObsRelation(
                    parent_observation_id=oid,
                    child_observation_id=cid,
                    child_type=child.obs.child_type if child.obs else None,
                )
            )

    def _quality(self, item: _Obs) -> dict[str, Any]:
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
        from cxrkg.ingest.extract.rules import CHANGE_PHRASES

        change_words = {p for p, _ in CHANGE_PHRASES if " " in p or len(p) > 3}
        if any(
            re.search(rf"\b{re.escape(p)}\b", text)
            for p in change_words
            if p not in ("stable", "similar", "advanced", "reduced", "larger", "smaller")
        ):
            name_q = "CHANGE_IN_SENTENCE_OR_NAME"
        elif _DEID.search(f"{o.name} {o.summary_sentence or ''}"):
            name_q = "UNDERSCORES_IN_SENTENCE_OR_NAME"
        else:
            name_q = "NO_ISSUES"
        if o.changes and not o.change_sentence:
            change_q = "CHANGE_SENTENCE_REMOVED"
        elif o.change_sentence and _DEID.search(o.change_sentence):
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

    # -- regions ---------------------------------------------------------------------------
    def _region_tree(
        self, obs: dict[str, Observation]
    ) -> tuple[dict[str, Region], list[RegionRegionRelation]]:
        names: list[str] = []
        for o in obs.values():
            for r in o.regions:
                if r.region not in names:
                    names.append(r.region)
        # Fill the intermediate regions up to the root, so every region hangs in one tree.
        for r in list(names):
            for a in self.ancestors(r):
                if a not in names and self.onto.get(a, kind="region") is not None:
                    names.append(a)
        regions: dict[str, Region] = {}
        for r in names:
            c = self.onto.get(r, kind="region")
            regions[r] = Region(region=r, laterality=c.laterality if c else None)
        rels: list[RegionRegionRelation] = []
        for r in names:
            try:
                parents = _names(self.onto.parents(r))
            except KeyError:
                parents = []
            for p in parents:
                if p in regions:
                    rels.append(
                        RegionRegionRelation(region=p, related_region=r, relation_type="sub_region")
                    )
            counter = (
                self.onto.counterpart(r) if regions[r].laterality in ("left", "right") else None
            )
            counter = counter if isinstance(counter, str) or counter is None else counter.name
            if counter and counter in regions:
                rels.append(
                    RegionRegionRelation(
                        region=r,
                        related_region=counter,
                        relation_type=regions[counter].laterality or "right",
                    )
                )
        return regions, rels

    # -- localization ----------------------------------------------------------------------
    def _boxes_for(self, region: str, boxes: dict[str, RegionBox]) -> tuple[RegionBox | None, bool]:
        if region in boxes:
            return boxes[region], False
        for a in self.ancestors(region):  # nearest ancestor first
            if a in boxes:
                return boxes[a], True
        return None, False

    def _localize(
        self,
        obs: dict[str, Observation],
        regions: dict[str, Region],
        region_boxes: dict[str, dict[str, RegionBox]],
    ) -> None:
        for image_id, boxes in region_boxes.items():
            for o in obs.values():
                lz = self._localization(image_id, [r.region for r in o.regions], boxes)
                if lz is not None:
                    o.localization[image_id] = lz
            for name, reg in regions.items():
                lz = self._localization(image_id, [name], boxes)
                if lz is not None:
                    reg.localization[image_id] = lz
                    reg.region_localization_quality = lz.localization_quality

    def _localization(
        self, image_id: str, names: list[str], boxes: dict[str, RegionBox]
    ) -> Localization | None:
        if not names:
            return None
        found, refs, missing, fallback, sources = [], [], [], False, set()
        for r in names:
            box, is_fb = self._boxes_for(r, boxes)
            if box is None:
                missing.append(r)
                continue
            fallback |= is_fb
            refs.append(r)
            sources.add(box.source)
            found += [tuple(float(v) for v in b) for b in box.bboxes]
        if not found:
            return Localization(
                image_id=image_id,
                missing_localization=missing,
                localization_quality="NO_LOCALIZATION",
            )
        # Boxes of the model-free lung segmentation are estimates: a fallback localization.
        fallback = fallback or "classical" in sources
        if (
            fallback
            and not missing
            and ("classical" in sources or all(self._boxes_for(r, boxes)[1] for r in refs))
        ):
            quality = "FALLBACK_LOCALIZATION"
        elif missing or fallback:
            quality = "INCOMPLETE_LOCALIZATION"
        elif sources == {"mask"}:
            quality = "BBOX_AND_MASK_LOCALIZATION"
        else:
            quality = "BBOX_LOCALIZATION"
        return Localization(
            image_id=image_id,
            localization_reference_ids=refs,
            bboxes=found,
            instance_mask_ids=refs if "mask" in sources else [],
            missing_localization=missing,
            is_fallback=fallback,
            localization_quality=quality,
        )

    # -- indication ----------------------------------------------------------------------
    def _indication(
        self,
        raw: RawIndication | None,
        observations: dict[str, Observation],
        sent_by_obs: dict[str, list[str]],
    ) -> Indication | None:
        if raw is None:
            return None
        asked = [m.name for m in self.mapper.map_many(raw.asked_entities, "finding") if m.name]
        asked = list(dict.fromkeys(asked))
        related: set[str] = set()
        for a in asked:
            related |= self._related(a)
        report_obs = [o for o in observations.values() if o.from_report]
        if asked:
            assoc = [
                o
                for o in report_obs
                if set(o.obs_entities) & related or set(o.obs_entities_parents) & set(asked)
            ]
        else:
            assoc = [o for o in report_obs if o.positiveness == "pos" and o.child_level == 0]
        assoc_sents = list(dict.fromkeys(s for o in assoc for s in sent_by_obs.get(o.obs_id, [])))
        positive = [o for o in assoc if o.positiveness == "pos"]
        if raw.answer_for_indication:
            answer = raw.answer_for_indication
        elif asked:
            answer = "; ".join(o.name for o in positive) if positive else "no " + " or ".join(asked)
        else:
            answer = (
                "; ".join(o.name for o in positive)
                if positive
                else "no acute cardiopulmonary abnormality"
            )
        entities = asked or list(dict.fromkeys(e for o in positive for e in o.obs_entities))
        concepts = [c for c in (self.onto.get(e, kind="finding") for e in entities) if c]
        probability = "positive" if positive else "negative"
        certainty, positiveness = PROBABILITY[probability]
        regions = list(dict.fromkeys(r.region for o in assoc for r in o.regions))
        oind = Observation(
            obs_id="OIND",
            name=answer,
            summary_sentence=_sentence(answer),
            regions=[RegionRef(region=r) for r in regions],
            obs_entities=entities,
            default_regions=regions,
            obs_entities_parents=list(
                dict.fromkeys(a for e in entities for a in self.ancestors(e) if a not in entities)
            ),
            obs_categories=list(dict.fromkeys(x for c in concepts for x in c.categories or [])),
            obs_subcategories=list(
                dict.fromkeys(x for c in concepts for x in c.subcategories or [])
            ),
            probability=probability,
            certainty=certainty,
            positiveness=positiveness,
            modifiers={t: [] for t in MODIFIERS},
            from_report=True,
        )
        oind.obs_quality = {
            "region_quality": "RESOLVED_REGIONS_ONLY" if regions else "NO_REGIONS",
            "entity_quality": "RESOLVED_ENTITIES_ONLY" if entities else "NO_ENTITIES",
            "sentence_name_quality": "UNDERSCORES_IN_SENTENCE_OR_NAME"
            if _DEID.search(answer)
            else "NO_ISSUES",
            "change_quality": "NO_ISSUES",
            "issue_level": "NO_ISSUES",
        }
        return Indication(
            indication_summary=raw.indication_summary,
            patient_info=raw.patient_info,
            indication=raw.indication,
            evaluation=raw.evaluation,
            associated_sentence_ids=list(dict.fromkeys(raw.associated_sentence_ids + assoc_sents)),
            associated_obs_ids=[o.obs_id for o in assoc],
            answer_for_indication=oind,
        )


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else text


def _worst(criterion: str, values: list[Any]) -> str | None:
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return min(vals, key=lambda v: option(criterion, v).code)
