"""Graph construction, the indication (QBA section 1c): the answer to the indication
(`OIND`), built only from what the report says. A question the report does not answer gets
no answer: nothing is invented ("No surgery." for "Preop lumbar surgery")."""

from __future__ import annotations

from cxrkg.ingest.extract.concepts import Concepts
from cxrkg.ingest.extract.quality import DEID
from cxrkg.ingest.extract.records import RawIndication
from cxrkg.ingest.mapping import ConceptMapper
from cxrkg.ingest.model import Indication, Observation, RegionRef
from cxrkg.ontology.values import MODIFIERS, PROBABILITY

_NOT_FINDINGS = ("DEVICE", "TUBES_AND_LINES", "TECHNICAL_ASSESSMENT")


def _is_finding(o: Observation) -> bool:
    return not any(c in _NOT_FINDINGS for c in o.obs_categories)


def _normal_statements(obs: list[Observation]) -> list[Observation]:
    """Negative observations that call the study, the heart or the lungs normal."""
    return [o for o in obs if o.positiveness == "neg" and "abnormal" in o.obs_entities]


def indication(
    raw: RawIndication | None,
    observations: dict[str, Observation],
    sent_by_obs: dict[str, list[str]],
    c: Concepts,
    mapper: ConceptMapper,
    *,
    summary_sentences: set[str] | frozenset[str] = frozenset(),
) -> Indication | None:
    """The indication and the report's answer to it. An indication that names no finding
    ("chest pain", "altered mental status") is answered by the report's summary (its
    IMPRESSION sentences, `summary_sentences`) when it has one: the radiologist's answer to
    the clinical question, not every incidental finding ("degenerative disc disease")."""
    if raw is None:
        return None
    asked = list(
        dict.fromkeys(m.name for m in mapper.map_many(raw.asked_entities, "finding") if m.name)
    )
    report_obs = [o for o in observations.values() if o.from_report]
    if asked:
        related: set[str] = set()
        for a in asked:
            related |= c.related(a)
        assoc = [
            o
            for o in report_obs
            if set(o.obs_entities) & related or set(o.obs_entities_parents) & set(asked)
        ]
        # "Evaluate for pneumonia" answered by "No acute cardiopulmonary abnormality."
        assoc = assoc or _normal_statements(report_obs)
    else:
        top = [o for o in report_obs if o.child_level == 0]
        summary = [o for o in top if set(sent_by_obs.get(o.obs_id, ())) & summary_sentences]
        top = summary or top
        assoc = [o for o in top if o.positiveness == "pos" and _is_finding(o)]
        assoc = assoc or _normal_statements(top) or [o for o in top if o.positiveness == "neg"]
    answer_obs = None
    if assoc:
        answer_obs = _answer(raw, assoc, c)
    assoc_sents = list(dict.fromkeys(s for o in assoc for s in sent_by_obs.get(o.obs_id, [])))
    return Indication(
        indication_summary=raw.indication_summary,
        patient_info=raw.patient_info,
        indication=raw.indication,
        evaluation=raw.evaluation,
        associated_sentence_ids=list(dict.fromkeys(raw.associated_sentence_ids + assoc_sents)),
        associated_obs_ids=[o.obs_id for o in assoc],
        answer_for_indication=answer_obs,
    )


def _answer(raw: RawIndication, assoc: list[Observation], c: Concepts) -> Observation:
    positive = [o for o in assoc if o.positiveness == "pos"]
    definite = [o for o in positive if o.certainty in ("certain", "likely")]
    shown = positive or assoc
    text = raw.answer_for_indication or "; ".join(dict.fromkeys(o.name for o in shown))
    probability = "positive" if definite else ("possible" if positive else "negative")
    certainty, positiveness = PROBABILITY[probability]
    entities = list(dict.fromkeys(e for o in shown for e in o.obs_entities))
    concepts = [x for x in (c.finding(e) for e in entities) if x]
    regions = list(dict.fromkeys(r.region for o in shown for r in o.regions))
    oind = Observation(
        obs_id="OIND",
        name=text,
        summary_sentence=_sentence(text),
        regions=[RegionRef(region=r) for r in regions],
        obs_entities=entities,
        default_regions=regions,
        obs_entities_parents=list(
            dict.fromkeys(a for e in entities for a in c.ancestors(e) if a not in entities)
        ),
        obs_categories=list(dict.fromkeys(x for k in concepts for x in k.categories or [])),
        obs_subcategories=list(dict.fromkeys(x for k in concepts for x in k.subcategories or [])),
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
        if DEID.search(text)
        else "NO_ISSUES",
        "change_quality": "NO_ISSUES",
        "issue_level": "NO_ISSUES",
    }
    return oind


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else text
