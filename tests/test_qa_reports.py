"""QA from report text through the rule extractor and the real graph: the answers a
radiologist reading the report would accept, and no answer the report does not support."""

from __future__ import annotations

from typing import Any

import pytest

from cxrkg.ingest.extract.pipeline import ReportInput, ReportPipeline
from cxrkg.ingest.load import load_scene_graphs
from cxrkg.ontology import load_ontology
from cxrkg.qa_gen.generate import generate_batch, read_region_rows

REPORTS = {
    "s1": "FINDINGS: The heart is normal in size. The lungs are clear. No pleural effusion or "
    "pneumothorax. IMPRESSION: No acute cardiopulmonary abnormality.",
    "s2": "FINDINGS: The heart is normal in size. The lungs are clear. No pleural effusion or "
    "pneumothorax. The xyzzy frobnicates the quux. IMPRESSION: No acute cardiopulmonary "
    "abnormality.",
    "s3": "FINDINGS: The study is limited by underpenetration. The heart is normal in size. The "
    "lungs are clear. IMPRESSION: No acute cardiopulmonary abnormality.",
    "s4": "FINDINGS: Median sternotomy XXXX are intact. The heart is normal in size. The lungs "
    "are clear. IMPRESSION: No acute cardiopulmonary abnormality.",
    "s5": "FINDINGS: A left-sided pacemaker is in place with leads in the right atrium and right "
    "ventricle. The lungs are clear. IMPRESSION: No acute cardiopulmonary abnormality.",
    "s6": "FINDINGS: Heart size is normal. No large pleural effusion. No suspicious nodules or "
    "masses. No pneumothorax or large effusion. No overt evidence of CHF.",
    "s7": "FINDINGS: Heart size is normal. Left basilar airspace disease could reflect "
    "atelectasis. No pneumothorax.",
    "s8": "FINDINGS: Heart size is normal. There is a small right pleural effusion. The left "
    "lung is clear.",
    "s9": "FINDINGS: The mediastinal contour is normal. Coronary artery calcification. The "
    "lungs are clear.",
    "s10": "FINDINGS: The mediastinal contour is normal. The lungs are clear.",
    "s11": "FINDINGS: Heart size is normal. No focal consolidation, pneumothorax or large "
    "pleural effusion. IMPRESSION: No acute cardiopulmonary abnormality.",
}


@pytest.fixture(scope="module")
def qa(session_store) -> dict[str, list[dict[str, Any]]]:  # noqa: ANN001
    pipeline = ReportPipeline(load_ontology())
    graphs = [
        pipeline.build(ReportInput(file=f"{sid}.txt", study_id=sid, patient_id=f"p{sid}", text=t))
        for sid, t in REPORTS.items()
    ]
    session_store.clear()
    session_store.setup_schema()
    load_scene_graphs(session_store, graphs, progress=False)
    items = generate_batch(session_store, list(REPORTS), seed=0)
    return {i.study.study_id: [q.model_dump() for q in i.questions] for i in items}


def asked(questions: list[dict[str, Any]], qtype: str, words: str) -> list[dict[str, Any]]:
    """The questions of a type whose text holds the words."""
    return [q for q in questions if q["question_type"] == qtype and words in q["question"]]


def main_text(q: dict[str, Any]) -> str:
    return next(a["text"] for a in q["answers"] if a["answer_type"] == "main_answer")


def grade(q: dict[str, Any]) -> str:
    return q["question_quality"]["rating"]


def test_a_normal_report_answers_normal_with_the_grade_of_a_read_report(qa) -> None:  # noqa: ANN001
    (b03,) = [q for q in qa["s1"] if q["question_type"] == "B03_is_abnormal"]
    (b04,) = [q for q in qa["s1"] if q["question_type"] == "B04_is_normal"]
    assert main_text(b03).startswith("No") and main_text(b04).startswith("Yes")
    assert grade(b03) == grade(b04) == "B"


def test_nothing_there_is_graded_down_however_asked_when_a_sentence_went_unread(qa) -> None:  # noqa: ANN001
    """The answers "Is it abnormal? No" and "Is it normal? Yes" say the same; both rest on the whole
    report being read, so both are C beside a sentence that gave no observation."""
    for qtype in ("B03_is_abnormal", "B04_is_normal"):
        (q,) = [q for q in qa["s2"] if q["question_type"] == qtype]
        assert grade(q) == "C", (qtype, q["question_quality"])
    normal_subcats = [q for q in qa["s2"] if q["question_type"] == "B11_is_normal_subcat"]
    assert normal_subcats and all(grade(q) == "C" for q in normal_subcats)


def test_a_remark_on_technique_keeps_no_artifacts_from_being_answered(qa) -> None:  # noqa: ANN001
    assert [q for q in qa["s3"] if q["question_type"] == "B14_describe_acquisition"]
    assert not [q for q in qa["s3"] if q["question_type"].startswith(("B15", "B16"))]
    assert [q for q in qa["s1"] if q["question_type"] == "B16_has_imaging_artifacts"]


def test_surgery_that_leaves_hardware_keeps_devices_from_being_denied(qa) -> None:  # noqa: ANN001
    """IU masks the wires: "median sternotomy XXXX are intact" gets no "no devices"."""
    assert not [
        q for q in qa["s4"] if q["question_type"] in ("B13_has_devices", "C08_has_region_device")
    ]
    assert [q for q in qa["s1"] if q["question_type"] == "B13_has_devices"]


def test_a_device_is_not_denied_where_it_may_reach_nor_placed_by_its_default_region(qa) -> None:  # noqa: ANN001
    questions = qa["s5"]
    for region in ("chest wall", "left chest wall", "left hemithorax", "svc"):
        for q in asked(questions, "C08_has_region_device", f"the {region}?"):
            assert main_text(q).startswith("Yes"), (region, main_text(q))
    (abdomen,) = asked(questions, "C08_has_region_device", "the abdomen?")
    assert main_text(abdomen).startswith("No")
    where = asked(questions, "D07_where_is_device", "pacemaker")
    assert where and all("heart" not in main_text(q) for q in where)
    assert all("right atrium" in main_text(q) for q in where)


def test_a_qualified_negative_answers_no_yes_or_no(qa) -> None:  # noqa: ANN001
    """Qualified negatives ("no large pleural effusion", "no suspicious nodules or
    masses", "no overt CHF") leave a small, benign or subtle one open; "no pneumothorax or
    large effusion" still denies the pneumothorax."""
    questions = qa["s6"]
    for words in ("pleural effusion", "nodule", "mass", "fluid overload"):
        assert not asked(questions, "D02_has_finding", words), words
    (ptx,) = asked(questions, "D02_has_finding", "pneumothorax")
    assert main_text(ptx).startswith("No")


def test_the_whole_study_judged_normal_answers_beside_a_hedged_negative(qa) -> None:  # noqa: ANN001
    """A hedged "no large pleural effusion" leaves the effusion open, not the radiologist's verdict
    on the study ("No acute cardiopulmonary abnormality."); without that verdict, it does."""
    (normal,) = asked(qa["s11"], "B04_is_normal", "")
    assert main_text(normal).startswith("Yes")
    assert not asked(qa["s11"], "D02_has_finding", "pleural effusion")
    assert not asked(qa["s6"], "B04_is_normal", "")


def test_a_finding_that_could_reflect_another_leaves_it_possible(qa) -> None:  # noqa: ANN001
    questions = qa["s7"]
    assert not asked(questions, "D02_has_finding", "atelectasis")
    (opacity,) = asked(questions, "D02_has_finding", "airspace opacity")
    assert main_text(opacity).startswith("Yes")


def test_one_side_said_clear_answers_nothing_for_both(qa) -> None:  # noqa: ANN001
    """A clear left lung beside a right effusion: nothing about the right lung."""
    questions = qa["s8"]
    for words in ("atelectasis", "lung opacity", "pneumonia"):
        assert not asked(questions, "D02_has_finding", words), words
    assert not asked(questions, "B10_is_abnormal_subcat", "lung findings")
    assert not asked(questions, "C03_is_abnormal_region", "the lungs")
    (left,) = asked(questions, "C03_is_abnormal_region", "the left lung")
    assert main_text(left).startswith("No")


def test_a_broader_normal_statement_does_not_call_the_coronary_arteries_normal(
    qa,  # noqa: ANN001
    session_store,  # noqa: ANN001
) -> None:
    """The statement "the mediastinal contour is normal" speaks for the hila, not the coronary arteries."""
    targets = {"s10": ["coronary arteries", "aortic valve", "upper mediastinum"]}
    rows = {r["region"]: r for r in read_region_rows(session_store, ["s10"], targets)["s10"]}
    assert rows["coronary arteries"]["normal_above_ids"] == []
    assert rows["aortic valve"]["normal_above_ids"] == []
    assert rows["upper mediastinum"]["normal_above_ids"]
