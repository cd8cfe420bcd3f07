"""How ontology names read in questions and template answers: articles, plurals, spoken
names and region names, as a radiologist reviewing QA from the IU reports expected them.
The words live in `qa_gen/templates/spoken.json`; these tests state what they must say."""

from __future__ import annotations

import pytest

from cxrkg.ontology import load_ontology
from cxrkg.qa_gen.templates import (
    Wording,
    answer_text,
    concept_words,
    is_plural,
    join_words,
    located_regions,
    question_text,
    region_words,
    sentence,
    spoken,
    spoken_names,
    takes_article,
)


@pytest.fixture(scope="module")
def onto():  # noqa: ANN201
    return load_ontology()


def _yes(finding: str, qtype: str = "D02_has_finding") -> str:
    return answer_text(qtype, "yes", **concept_words(finding, "finding"))


@pytest.mark.parametrize(
    ("finding", "qtype", "answer"),
    [
        # reviewed rows (CXR434, CXR180, CXR903, CXR3093, CXR452, CXR2229, CXR2907, CXR260)
        ("surgery", "D02_has_finding", "Yes, there are post-surgical changes."),
        ("cardiac pacer and wires", "D06_has_device", "Yes, there is a cardiac pacer with wires."),
        ("bullae", "D02_has_finding", "Yes, there are bullae."),
        ("suture material", "D06_has_device", "Yes, there is suture material."),
        ("surgical clips", "D06_has_device", "Yes, there are surgical clips."),
        ("pleural other", "D02_has_finding", "Yes, there is a pleural abnormality."),
        ("lung lesion", "D02_has_finding", "Yes, there is a lung lesion."),
        ("lung surgery", "D02_has_finding", "Yes, there are signs of lung surgery."),
        # countable findings take an article, mass nouns do not
        ("nodule", "D02_has_finding", "Yes, there is a nodule."),
        (
            "mass/nodule (not otherwise specified)",
            "D02_has_finding",
            "Yes, there is a mass or nodule.",
        ),
        ("hiatal hernia", "D02_has_finding", "Yes, there is a hiatal hernia."),
        ("atelectasis", "D02_has_finding", "Yes, there is atelectasis."),
        ("pleural effusion", "D02_has_finding", "Yes, there is pleural effusion."),
        ("copd/emphysema", "D02_has_finding", "Yes, there is COPD or emphysema."),
        ("septic emboli", "D02_has_finding", "Yes, there are septic emboli."),
        ("picc", "D06_has_device", "Yes, there is a PICC."),
        ("endotracheal tube", "D06_has_device", "Yes, there is an endotracheal tube."),
    ],
)
def test_yes_answers_read_as_a_radiologist_says_them(finding: str, qtype: str, answer: str) -> None:
    assert _yes(finding, qtype) == answer


def test_a_countable_finding_is_asked_about_with_its_article() -> None:
    fmt = concept_words("calcified granuloma", "finding")
    assert "Can {a_finding} be seen?".format(**fmt) == "Can a calcified granuloma be seen?"
    fmt = concept_words("consolidation", "finding")
    assert "Can {a_finding} be seen?".format(**fmt) == "Can consolidation be seen?"


@pytest.mark.parametrize(
    ("region", "answer"),
    [
        ("humeri", "Yes, the humeri are abnormal."),
        ("hila", "Yes, the hila are abnormal."),
        ("lungs", "Yes, the lungs are abnormal."),
        ("pancreas", "Yes, the pancreas is abnormal."),
        ("svc", "Yes, the SVC is abnormal."),
    ],
)
def test_region_answers_agree_in_number(region: str, answer: str) -> None:
    assert answer_text("C03_is_abnormal_region", "yes", **region_words(region)) == answer


def test_where_answers_name_regions_as_spoken() -> None:
    # CXR372: "The catheter is located in the svc"
    text = answer_text(
        "D07_where_is_device",
        "answer",
        **concept_words("picc", "finding"),
        regions=join_words(["svc", "right upper lung zone"]),
    )
    assert text == "The PICC is located in the SVC and right upper lung zone."


def test_where_answers_leave_out_a_region_that_only_repeats_the_finding() -> None:
    # CXR434: "The flattened diaphragm is located in the diaphragm."
    assert located_regions("flattened diaphragm", ["diaphragm"]) == []
    assert located_regions("lung surgery", ["lungs", "left lung"]) == ["left lung"]
    assert located_regions("lung opacity", ["lungs"]) == []
    assert located_regions("pleural effusion", ["left pleural space"]) == ["left pleural space"]
    assert located_regions("pacemaker", ["left chest wall"]) == ["left chest wall"]


def test_sentences_end_in_one_full_stop() -> None:
    # CXR434's impression "No acute abnormality. ." and a report's "clear.."
    assert sentence("No acute abnormality. .") == "No acute abnormality."
    assert sentence("the lungs are clear..") == "The lungs are clear."
    assert sentence("Heart size normal , lungs clear .") == "Heart size normal, lungs clear."
    assert sentence("Possible effusion?") == "Possible effusion?"


def test_no_ontology_label_leaks_into_questions(onto) -> None:
    # CXR2907: "Can pleural other be seen? Yes, there is pleural other."
    for name in list(onto.findings) + list(onto.regions):
        said = spoken(name)
        assert "/" not in said and "(" not in said, name
        assert not said.endswith(" other"), name


def test_spoken_names_are_ontology_concepts(onto) -> None:
    for name in spoken_names()["names"]:
        assert name in onto.findings or name in onto.regions, name


def test_only_materials_are_devices_said_without_an_article(onto) -> None:
    uncountable = {
        n
        for n, c in onto.findings.items()
        if c.is_device and not is_plural(spoken(n)) and not takes_article(spoken(n))
    }
    assert uncountable == {
        "bone cement",
        "metal",
        "orthopedic hardware",
        "osteosynthesis material",
        "surgical material",
        "suture material",
    }


def test_change_questions_agree_in_number_and_speak_names() -> None:
    assert (
        question_text(
            "E01_has_finding_changed", Wording(0, "s1"), **concept_words("bullae", "finding")
        )
        == "Have the bullae changed since the previous study?"
    )
    assert (
        answer_text(
            "E02_describe_region_change", "answer", **region_words("svc"), changes="not changed"
        )
        == "Compared with the previous study, the SVC has not changed."
    )
