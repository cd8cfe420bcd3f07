"""The rule extractor on the constructions real reports use, one test per construction, each
sentence quoted from (or closely following) the Indiana University reports: normal
statements, devices, hedged alternatives and differentials, negation scope, side scope,
predicates and abbreviations."""

from __future__ import annotations

import pytest

from cxrkg.ingest.extract.lexicon import Lexicon
from cxrkg.ingest.extract.records import RawObservation
from cxrkg.ingest.extract.rules import RuleExtractor
from cxrkg.ingest.extract.sections import split_sentences
from cxrkg.ontology import load_ontology


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    onto = load_ontology()

    def ancestors(name: str) -> list[str]:
        return list(onto.ancestors(name)) if onto.get(name, kind="region") else []

    return RuleExtractor(Lexicon.from_ontology(onto), region_ancestors=ancestors)


def _flat(obs: list[RawObservation]) -> list[RawObservation]:
    out, stack = [], list(obs)
    while stack:
        o = stack.pop(0)
        out.append(o)
        stack.extend(o.children)
    return out


def _said(rules: RuleExtractor, sentence: str) -> dict[str, str]:
    """entity -> probability for every observation of the sentence."""
    return {e: o.probability for o in _flat(rules.extract(sentence)) for e in o.entity}


# -- normal statements ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "ruled_out", "regions"),
    [
        ("Heart size is normal.", {"cardiomegaly"}, ["cardiac silhouette"]),
        ("Lungs clear.", {"lung opacity"}, ["lungs"]),
        ("Left lung is clear.", {"lung opacity"}, ["left lung"]),
        ("Bones intact.", {"fracture"}, ["bones"]),
        ("The mediastinum is unremarkable.", {"abnormal"}, ["mediastinum"]),
        (
            "The cardiac silhouette and mediastinum size are within normal limits.",
            {"cardiomegaly", "abnormal"},
            ["cardiac silhouette", "mediastinum"],
        ),
        ("No acute cardiopulmonary abnormality.", {"abnormal"}, ["heart", "lungs"]),
        ("No acute cardiopulmonary disease.", {"abnormal"}, ["heart", "lungs"]),
        ("No acute bony abnormality.", {"abnormal"}, ["bones"]),
        ("Normal chest x-XXXX.", {"abnormal"}, []),
    ],
)
def test_normal_statement_is_a_negative_observation_of_what_it_rules_out(
    rules: RuleExtractor, sentence: str, ruled_out: set[str], regions: list[str]
) -> None:
    (obs,) = rules.extract(sentence)
    assert obs.probability == "negative"
    assert set(obs.entity) == ruled_out
    assert obs.regions == regions
    assert "normal" not in obs.entity and "no finding" not in obs.entity


def test_normal_statement_keeps_its_side(rules: RuleExtractor) -> None:
    # "Left lung is clear" says nothing about the right lung.
    found = _flat(rules.extract("Left lung is clear."))
    assert [o.regions for o in found] == [["left lung"]]


def test_normal_statement_beside_a_finding_is_its_own_observation(rules: RuleExtractor) -> None:
    said = _said(rules, "No acute cardiopulmonary abnormality, findings compatible with emphysema.")
    assert said == {"abnormal": "negative", "emphysema": "probable"}


# -- hedged alternatives and differentials ------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Left lower lobe atelectasis or pneumonia.",
            {"atelectasis": "possible", "pneumonia": "possible"},
        ),
        (
            "Considerations would include pericardial effusion or dilated cardiomyopathy.",
            {"pericardial effusion": "possible", "cardiomyopathy": "possible"},
        ),
        (
            "Minimal atelectasis versus scarring seen in the left lung base.",
            {"atelectasis": "possible", "pleural/parenchymal scarring": "possible"},
        ),
        (
            "Bilateral effusions and/or atelectasis, right worse than left.",
            {"pleural effusion": "possible", "atelectasis": "possible"},
        ),
        (
            "The differential diagnosis includes round pneumonia and parenchymal mass.",
            {"pneumonia": "possible", "mass": "possible"},
        ),
    ],
)
def test_hedged_alternatives_and_differentials_are_possible(
    rules: RuleExtractor, sentence: str, expected: dict[str, str]
) -> None:
    said = _said(rules, sentence)
    assert {e: said.get(e) for e in expected} == expected


def test_alternatives_leave_the_certain_finding_they_explain(rules: RuleExtractor) -> None:
    said = _said(
        rules, "There are minimal XXXX left basilar opacities, XXXX atelectasis or scarring."
    )
    assert said["lung opacity"] == "positive"
    assert said["atelectasis"] == said["pleural/parenchymal scarring"] == "possible"


def test_no_change_in_a_list_asserts_every_item(rules: RuleExtractor) -> None:
    # a pseudo-negation: both are present and unchanged, not alternatives
    obs = _flat(rules.extract("No significant change in right pneumothorax or pleural fluid."))
    assert {e: o.probability for o in obs for e in o.entity} == {
        "pneumothorax": "positive",
        "pleural effusion": "positive",
    }
    assert all("unchanged" in o.change for o in obs)


def test_a_negation_before_an_or_list_denies_every_item(rules: RuleExtractor) -> None:
    said = _said(rules, "There is no pneumothorax or pleural effusion.")
    assert said == {"pneumothorax": "negative", "pleural effusion": "negative"}


# -- negation scope -----------------------------------------------------------------------------
def test_with_starts_a_new_finding_outside_the_negation(rules: RuleExtractor) -> None:
    said = _said(rules, "no cardiomegaly with bilateral small pleural effusions.")
    assert said == {"cardiomegaly": "negative", "pleural effusion": "positive"}


def test_removal_negates_the_device_not_what_follows_with(rules: RuleExtractor) -> None:
    said = _said(
        rules,
        "There has been interval removal of right chest tube with increased elevation of the"
        " right hemidiaphragm and XXXX right basilar atelectasis.",
    )
    assert said["chest tube"] == "negative"
    assert said["elevated hemidiaphragm"] == "positive"
    assert said["linear/patchy atelectasis"] == "positive"


def test_trailing_removed_negates_only_the_findings_listed_before_it(rules: RuleExtractor) -> None:
    said = _said(rules, "Right PICC line and NG tube removed.")
    assert said == {"picc": "negative", "enteric tube": "negative"}
    said = _said(rules, "Stable cardiomegaly with the chest tube removed.")
    assert said["cardiomegaly"] == "positive" and said["chest tube"] == "negative"


def test_no_findings_to_suggest_negates_what_follows(rules: RuleExtractor) -> None:
    assert _said(rules, "There are no findings to suggest pneumonia.") == {"pneumonia": "negative"}
    assert _said(rules, "No findings of pneumothorax.") == {"pneumothorax": "negative"}


@pytest.mark.parametrize(
    ("sentence", "entity", "probability"),
    [
        ("Patient denies pneumonia.", "pneumonia", "negative"),
        ("PPD was negative for tuberculosis.", "tuberculosis", "negative"),
        ("Tuberculosis test was negative.", "tuberculosis", "negative"),
        ("Low suspicion for pneumonia.", "pneumonia", "unlikely"),
        ("No pleural effusion, likely atelectasis at the left base.", "atelectasis", "probable"),
        # IU wordings: a qualified negative leaves a small, benign or subtle one open
        ("No large pleural effusion.", "pleural effusion", "unlikely"),
        ("No suspicious pulmonary nodules or masses.", "mass", "unlikely"),
        ("No pneumothorax or large effusion.", "pneumothorax", "negative"),
        ("No pneumothorax or large effusion.", "pleural effusion", "unlikely"),
        ("No overt evidence of CHF.", "fluid overload/heart failure", "unlikely"),
        ("Airspace disease could reflect atelectasis.", "atelectasis", "may"),
        ("The opacity might represent pneumonia.", "pneumonia", "may"),
        # "to suggest" after a negated finding negates what it suggests
        (
            "No focal consolidation to suggest pneumonia or active tuberculous infection.",
            "tuberculosis",
            "negative",
        ),
        (
            "There is no pleural line to suggest pneumothorax or costophrenic XXXX blunting to "
            "suggest large pleural effusion.",
            "pleural effusion",
            "negative",
        ),
    ],
)
def test_more_negation_and_uncertainty_cues(
    rules: RuleExtractor, sentence: str, entity: str, probability: str
) -> None:
    assert _said(rules, sentence)[entity] == probability


def test_a_sentence_starting_in_lower_case_is_split_from_the_one_before() -> None:
    assert split_sentences("No pleural effusions or pneumothoraces. cardiomegaly.") == [
        "No pleural effusions or pneumothoraces.",
        "cardiomegaly.",
    ]
    assert split_sentences("Atelectasis vs. scarring at the left base.") == [
        "Atelectasis vs. scarring at the left base."
    ]


# -- predicates and wordings the ontology already has ----------------------------------------
@pytest.mark.parametrize(
    ("sentence", "entity", "probability", "region"),
    [
        (
            "The right hemidiaphragm is elevated.",
            "elevated hemidiaphragm",
            "positive",
            "right hemidiaphragm",
        ),
        ("Lung volumes are low.", "low lung volumes", "positive", None),
        ("The lungs are hyperinflated.", "hyperaeration", "positive", "lungs"),
        ("The aorta is calcified and tortuous.", "tortuous aorta", "positive", "aorta"),
        ("The aorta is calcified and tortuous.", "aortic atheromatosis", "positive", "aorta"),
        ("Enlarged nodes.", "adenopathy", "positive", None),
        ("Heart size is mildly enlarged.", "cardiomegaly", "positive", None),
        ("The heart is not significantly enlarged.", "cardiomegaly", "negative", None),
        (
            "Mild degenerative changes along the thoracic spine.",
            "spinal degenerative changes",
            "positive",
            "thoracic spine",
        ),
        ("Possible PE.", "pulmonary embolism", "possible", None),
    ],
)
def test_findings_said_through_predicates_and_abbreviations(
    rules: RuleExtractor, sentence: str, entity: str, probability: str, region: str | None
) -> None:
    found = {e: o for o in _flat(rules.extract(sentence)) for e in o.entity}
    assert found[entity].probability == probability
    if region:
        assert region in found[entity].regions


# Sentences of the IU reports a radiologist's review found mapped to the wrong concept.
@pytest.mark.parametrize(
    ("sentence", "entity", "not_entity"),
    [
        ("Surgical clips are seen the right upper quadrant.", "surgical clips", "suture material"),
        ("Mediastinal clips.", "surgical clips", "suture material"),
        (
            "Lucent lesion with thin sclerotic margin in the right humeral head.",
            "bone lesion",
            "lung lesion",
        ),
        (
            "Considering the associated degenerative changes, a large geode is most likely.",
            "bone lesion",
            "lung lesion",
        ),
        ("Bilateral thoracotomy.", "thoracotomy", "lung surgery"),
        ("Left post thoracotomy rib changes are noted.", "thoracotomy", "lung surgery"),
        (
            "Reticular nodular opacities in the upper lobes.",
            "reticulonodular interstitial pattern",
            "mass/nodule (not otherwise specified)",
        ),
    ],
)
def test_review_sentences_name_the_concept_a_radiologist_means(
    rules: RuleExtractor, sentence: str, entity: str, not_entity: str
) -> None:
    said = _said(rules, sentence)
    assert entity in said and not_entity not in said


def test_two_letter_abbreviations_match_only_in_capitals(rules: RuleExtractor) -> None:
    assert "pulmonary embolism" not in _said(rules, "The pe of the patient.")


def test_a_finding_wins_the_words_it_shares_with_a_region(rules: RuleExtractor) -> None:
    (obs,) = rules.extract("Right chest tube in place.")
    assert obs.entity == ["chest tube"] and obs.probability == "positive"
    assert obs.name == "right chest tube"


# -- devices -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "entity"),
    [
        ("A PICC is in place.", "picc"),
        ("Cardiac device overlies left chest, leads intact.", "pacemaker"),
        ("Spinal cord stimulator in place.", "electrical device"),
        ("External monitor leads XXXX the thorax.", "ecg leads"),
    ],
)
def test_device_wordings_are_found(rules: RuleExtractor, sentence: str, entity: str) -> None:
    assert _said(rules, sentence).get(entity) == "positive"
