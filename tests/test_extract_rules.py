"""The rule extractor on hand-written report sentences (one rule each), against the real
ontology lexicon; and sectioning / sentence splitting of real report layouts."""

from __future__ import annotations

import pytest

from cxrkg.ingest.extract.lexicon import Lexicon
from cxrkg.ingest.extract.records import RawObservation
from cxrkg.ingest.extract.rules import RuleExtractor
from cxrkg.ingest.extract.sections import report_sentences, split_sentences
from cxrkg.ontology import load_ontology


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor(Lexicon.from_ontology(load_ontology()))


def _by_entity(obs: list[RawObservation]) -> dict[str, RawObservation]:
    out: dict[str, RawObservation] = {}
    stack = list(obs)
    while stack:
        o = stack.pop(0)
        for e in o.entity:
            out[e] = o
        stack.extend(o.children)
    return out


# -- negation and uncertainty ----------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "entity", "probability"),
    [
        ("No pleural effusion.", "pleural effusion", "negative"),
        ("There is no evidence of pneumothorax.", "pneumothorax", "negative"),
        ("The lungs are free of focal airspace disease.", "airspace opacity", "negative"),
        ("Clear lungs without pneumothorax.", "pneumothorax", "negative"),
        ("Pneumothorax is not seen.", "pneumothorax", "negative"),
        ("Pleural effusions have resolved.", "pleural effusion", "negative"),
        ("Pneumonia cannot be excluded.", "pneumonia", "possible"),
        ("Possible small left pleural effusion.", "pleural effusion", "possible"),
        ("Findings may represent pulmonary edema.", "pulmonary edema", "may"),
        ("Likely atelectasis at the left base.", "atelectasis", "probable"),
        ("Pneumonia is unlikely.", "pneumonia", "unlikely"),
        ("No definite consolidation.", "consolidation", "unlikely"),
        ("Moderate cardiomegaly.", "cardiomegaly", "positive"),
    ],
)
def test_negation_and_uncertainty_set_probability(
    rules: RuleExtractor, sentence: str, entity: str, probability: str
) -> None:
    assert _by_entity(rules.extract(sentence))[entity].probability == probability


def test_negation_runs_through_a_list_of_findings(rules: RuleExtractor) -> None:
    found = _by_entity(rules.extract("No pleural effusion, pneumothorax, or focal consolidation."))
    assert {e: o.probability for e, o in found.items()} == {
        "pleural effusion": "negative",
        "pneumothorax": "negative",
        "consolidation": "negative",
    }


def test_negation_scope_ends_at_the_clause(rules: RuleExtractor) -> None:
    found = _by_entity(
        rules.extract("There is no pneumothorax, there is a small right pleural effusion.")
    )
    assert found["pneumothorax"].probability == "negative"
    assert found["pleural effusion"].probability == "positive"
    found = _by_entity(rules.extract("No pleural effusion but there is mild cardiomegaly."))
    assert found["cardiomegaly"].probability == "positive"


def test_change_words_do_not_negate(rules: RuleExtractor) -> None:
    found = _by_entity(rules.extract("No change in the moderate cardiomegaly."))
    assert found["cardiomegaly"].probability == "positive"
    assert found["cardiomegaly"].change == ["unchanged"]


# -- modifiers, laterality, regions ----------------------------------------------------
def test_severity_and_spread_modifiers(rules: RuleExtractor) -> None:
    o = _by_entity(rules.extract("Small focal consolidation."))["consolidation"]
    assert o.modifiers == {"severity": ["small"], "spread": ["focal"]}
    o = _by_entity(rules.extract("Mild cardiomegaly."))["cardiomegaly"]
    assert o.modifiers["severity"] == ["mild"]


@pytest.mark.parametrize(
    ("sentence", "entity", "laterality", "region"),
    [
        ("Small left pleural effusion.", "pleural effusion", None, "left pleural space"),
        ("Right upper lobe pneumonia.", "pneumonia", None, "right upper lobe"),
        ("Streaky opacity in the left base.", "lung opacity", None, "left lower lung zone"),
        ("Bilateral pleural effusions.", "pleural effusion", "bilateral", None),
        ("Left effusion.", "pleural effusion", "left", None),
    ],
)
def test_laterality_and_regions(
    rules: RuleExtractor, sentence: str, entity: str, laterality: str | None, region: str | None
) -> None:
    o = _by_entity(rules.extract(sentence))[entity]
    assert o.laterality == laterality
    if region:
        assert region in o.regions


def test_bibasilar_names_both_lung_bases(rules: RuleExtractor) -> None:
    o = _by_entity(rules.extract("Bibasilar opacities."))["lung opacity"]
    assert o.regions == ["lung bases"]


# -- change --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "entity", "change"),
    [
        ("Small left pleural effusion has increased.", "pleural effusion", "increased"),
        ("Stable moderate cardiomegaly.", "cardiomegaly", "stable"),
        ("Right upper lobe pneumonia is improved.", "pneumonia", "improved"),
        ("There is new right basilar opacity.", "lung opacity", "new"),
        ("Bilateral pleural effusions are unchanged.", "pleural effusion", "unchanged"),
        (
            "Apical pleural thickening, unchanged from prior.",
            "apical pleural thickening",
            "unchanged",
        ),
    ],
)
def test_change_phrases_go_to_changes_not_the_name(
    rules: RuleExtractor, sentence: str, entity: str, change: str
) -> None:
    o = _by_entity(rules.extract(sentence))[entity]
    assert change in o.change
    assert o.change_sentence == sentence
    for word in ("increased", "stable", "improved", "new", "unchanged"):
        assert word not in o.name.split()


def test_no_new_is_negative_with_change_no_new(rules: RuleExtractor) -> None:
    o = _by_entity(rules.extract("No new focal consolidation is visible."))["consolidation"]
    assert (o.probability, o.change, o.name) == ("negative", ["no new"], "no focal consolidation")


def test_resolved_finding_is_negative_with_change_resolved(rules: RuleExtractor) -> None:
    o = _by_entity(rules.extract("The right pneumothorax has resolved."))["pneumothorax"]
    assert o.probability == "negative" and o.change == ["resolved"]


# -- children --------------------------------------------------------------------------------
def test_qualifying_finding_becomes_a_child(rules: RuleExtractor) -> None:
    obs = rules.extract("Left lower lobe opacity, likely atelectasis or pneumonia.")
    assert len(obs) == 1
    parent = obs[0]
    assert parent.entity == ["lung opacity"] and "left lower lobe" in parent.regions
    assert [(c.entity, c.child_type, c.probability) for c in parent.children] == [
        # "likely A or B": the pair is likely, neither alone is: both are possible
        (["atelectasis"], "suggestive_of", "possible"),
        (["pneumonia"], "suggestive_of", "possible"),
    ]


def test_negated_parent_negates_what_it_would_suggest(rules: RuleExtractor) -> None:
    obs = rules.extract("No focal airspace opacity to suggest pneumonia.")
    assert obs[0].probability == "negative"
    assert obs[0].children[0].entity == ["pneumonia"]
    assert obs[0].children[0].probability == "negative"


def test_region_statements_become_observations(rules: RuleExtractor) -> None:
    o = _by_entity(rules.extract("The lungs are clear."))["lung opacity"]
    assert o.probability == "negative" and o.regions == ["lungs"]
    o = _by_entity(rules.extract("The heart is mildly enlarged."))["cardiomegaly"]
    assert o.probability == "positive" and o.modifiers["severity"] == ["mild"]


def test_deidentification_tokens_do_not_break_negation(rules: RuleExtractor) -> None:
    o = _by_entity(rules.extract("There are no XXXX of a pleural effusion."))["pleural effusion"]
    assert o.probability == "negative"


# -- sectioning ------------------------------------------------------------------------------
MIMIC_STYLE = """                                 FINAL REPORT
 EXAMINATION:  CHEST (PA AND LAT)

 INDICATION:  ___F with cough  // eval for pneumonia

 COMPARISON:  None.

 FINDINGS:

 There is no focal consolidation, pleural effusion or pneumothorax.  Mild
 cardiomegaly is unchanged. The mediastinal contours are normal.  Dr. ___ was
 notified at 2.5 p.m.

 IMPRESSION:

 1. No acute cardiopulmonary process.
 2. Stable 1.2 cm nodule in the right upper lobe.
"""


def test_mimic_layout_sections_and_wrapped_sentences() -> None:
    sents = report_sentences(MIMIC_STYLE)
    by_type = [(s.section_type, s.text) for s in sents]
    assert ("INDICATION", "___F with cough // eval for pneumonia") in by_type
    assert ("FINDINGS", "Mild cardiomegaly is unchanged.") in by_type
    assert ("FINDINGS", "Dr. ___ was notified at 2.5 p.m.") in by_type
    assert [t for s, t in by_type if s == "IMPRESSION"] == [
        "No acute cardiopulmonary process.",
        "Stable 1.2 cm nodule in the right upper lobe.",
    ]
    assert not any("FINAL REPORT" in t for _, t in by_type)


def test_inline_impression_heading_and_missing_space_after_period() -> None:
    sents = report_sentences("Heart size normal.Lungs are clear. IMPRESSION: No acute disease.")
    assert [(s.section_type, s.text) for s in sents] == [
        ("FINDINGS", "Heart size normal."),
        ("FINDINGS", "Lungs are clear."),
        ("IMPRESSION", "No acute disease."),
    ]


def test_numbered_list_without_newlines_is_split() -> None:
    assert split_sentences("1. No effusion. 2. Small nodule. 3. Stable cardiomegaly.") == [
        "No effusion.",
        "Small nodule.",
        "Stable cardiomegaly.",
    ]


def test_finding_named_through_its_region() -> None:
    from cxrkg.ingest.extract.pipeline import ReportPipeline

    pipeline = ReportPipeline(load_ontology(), use_embeddings=False)
    found = _by_entity(pipeline.rules.extract("Degenerative changes in the thoracic spine."))
    assert "thoracic spine" in found["spinal degenerative changes"].regions
    found = _by_entity(pipeline.rules.extract("There is tortuosity of the thoracic aorta."))
    assert "tortuous aorta" in found
