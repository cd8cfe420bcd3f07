"""Graph construction, step one (QBA section 1c): each extracted field mapped to the
reference definitions (entities, regions, probability, modifiers, changes), default regions
derived, normal statements made negative observations, similar observations merged and
contradictions flagged."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cxrkg.ingest.extract import wordlists
from cxrkg.ingest.extract.concepts import Concepts
from cxrkg.ingest.extract.records import RawObservation
from cxrkg.ingest.mapping import ConceptMapper
from cxrkg.ingest.model import Observation, RegionRef
from cxrkg.ontology.values import CHANGES, MODIFIERS, NORMAL_FINDINGS, PROBABILITY

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


@dataclass
class Item:
    """One observation while the graph is built: what was extracted, what it became."""

    raw: RawObservation
    sent_ids: list[str]
    section: str | None
    children: list[Item] = field(default_factory=list)
    obs: Observation | None = None
    issue: str = "NO_ISSUES"
    non_resolved_changes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, raw: RawObservation, sent_id: str | None, section: str | None) -> Item:
        sents = [sent_id] if sent_id else []
        return cls(raw, sents, section, [cls.of(c, sent_id, section) for c in raw.children])

    def walk(self) -> list[Item]:
        out, stack = [], [self]
        while stack:
            it = stack.pop()
            out.append(it)
            stack.extend(it.children)
        return out


def probability(text: str) -> tuple[str, bool]:
    key = re.sub(r"\s+", " ", text.strip().lower().replace("_", " "))
    if key in PROBABILITY:
        return key, True
    if key in _PROBABILITY_ALIASES:
        return _PROBABILITY_ALIASES[key], True
    return "uncertain", False


def modifiers(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {t: [] for t in MODIFIERS}
    for mtype, values in raw.items():
        for v in values:
            v = v.strip().lower()
            t = mtype if v in MODIFIERS.get(mtype, ()) else _MODIFIER_TYPE.get(v)
            if t and v not in out[t]:
                out[t].append(v)
    return out


def changes(raw: list[str]) -> tuple[list[str], list[str]]:
    ok, bad = [], []
    for c in raw:
        key = c.strip().lower()
        key = _CHANGE_ALIASES.get(key, key)
        (ok if key in CHANGES else bad).append(key if key in CHANGES else c)
    return list(dict.fromkeys(ok)), bad


class Normalizer:
    """Maps raw observations onto the ontology and the QBA value sets."""

    def __init__(self, concepts: Concepts, mapper: ConceptMapper) -> None:
        self.c = concepts
        self.mapper = mapper

    def map_all(self, items: list[Item]) -> None:
        flat = [it for top in items for it in top.walk()]
        ents = self.mapper.map_many([e for it in flat for e in it.raw.entity], "finding")
        regs = self.mapper.map_many([r for it in flat for r in it.raw.regions], "region")
        ei = ri = 0
        for it in flat:
            e_maps = ents[ei : ei + len(it.raw.entity)]
            r_maps = regs[ri : ri + len(it.raw.regions)]
            ei += len(it.raw.entity)
            ri += len(it.raw.regions)
            it.obs = self.observation(it, e_maps, r_maps)

    def map_one(self, it: Item) -> None:
        it.obs = self.observation(
            it,
            self.mapper.map_many(it.raw.entity, "finding"),
            self.mapper.map_many(it.raw.regions, "region"),
        )

    def observation(self, it: Item, e_maps: list[Any], r_maps: list[Any]) -> Observation:
        raw = it.raw
        entities = list(dict.fromkeys(m.name for m in e_maps if m.name))
        non_res_e = [m.text for m in e_maps if not m.name]
        mapped_regions = [m.name for m in r_maps if m.name]
        region_concepts = [self.c.region(r) for r in mapped_regions]
        laterality = raw.laterality
        if laterality is None:
            sides = {c.laterality for c in region_concepts if c and c.laterality}
            laterality = sides.pop() if len(sides) == 1 else ("bilateral" if sides else None)
        regions = list(dict.fromkeys(self.c.lateralize(r, laterality) for r in mapped_regions))
        prob, prob_ok = probability(raw.probability)
        if entities and set(entities) <= set(NORMAL_FINDINGS):
            entities, prob = self.normal_statement(regions, prob)
        concepts = [c for c in (self.c.finding(e) for e in entities) if c]
        defaults = list(
            dict.fromkeys(
                self.c.lateralize(d, laterality)
                for c in concepts
                for d in (c.default_regions or [])
                if self.c.region(d) is not None
            )
        )
        specified = bool(regions)
        if not regions:
            regions = list(defaults)
        parents = list(
            dict.fromkeys(a for e in entities for a in self.c.ancestors(e) if a not in entities)
        )
        certainty, positiveness = PROBABILITY[prob]
        ok_changes, bad_changes = changes(raw.change)
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
            probability=prob,
            certainty=certainty,
            positiveness=positiveness,
            modifiers=modifiers(raw.modifiers),
            changes=ok_changes,
            change_sentence=raw.change_sentence,
            from_report=True,
        )
        if specified:
            obs.__pydantic_extra__ = {"regions_specified": True}
        return obs

    def normal_statement(self, regions: list[str], prob: str) -> tuple[list[str], str]:
        """A source's "normal" (PadChest's label, an LLM's entity) as what it rules out:
        a negative observation of each region's normal aspect, or of `abnormal`; "not
        normal" is an unspecified abnormality."""
        if PROBABILITY[prob][1] == "neg":
            return ["abnormal"], "positive"
        aspects = wordlists.load().normal_aspects
        ruled_out = [aspects.get(r, "abnormal") for r in regions] or ["abnormal"]
        return list(dict.fromkeys(ruled_out)), "negative"

    @staticmethod
    def merge(items: list[Item]) -> list[Item]:
        """Observations saying the same thing (FINDINGS and IMPRESSION) become one."""
        out: list[Item] = []
        seen: dict[tuple[Any, ...], Item] = {}
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

    @staticmethod
    def flag_contradictions(items: list[Item]) -> None:
        """A finding stated both present and absent for the same place cannot be read: its
        observations are NON_INTERPRETABLE (grade C), so QA built on them is graded down."""
        by_key: dict[tuple[str, frozenset[str]], list[Item]] = {}
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
                    it.issue = "NON_INTERPRETABLE"
