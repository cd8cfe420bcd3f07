"""QA with the ontology mirrored in the graph: parents through SUBCLASS_OF / PART_OF, and
"no" answers for never-mentioned findings whose broader finding is certainly absent."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from cxrkg.ingest.load import load_scene_graphs
from cxrkg.ontology import load_ontology
from cxrkg.ontology.sync import sync_ontology
from cxrkg.qa_gen.generate import generate_batch, generate_qa

# The hand-made studies live beside the per-type tests.
_spec = importlib.util.spec_from_file_location(
    "qa_studies", Path(__file__).with_name("test_qa_families.py")
)
studies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(studies)


@pytest.fixture(scope="module")
def qa_onto(session_store):  # noqa: ANN001, ANN201
    session_store.clear()
    session_store.setup_schema()
    load_scene_graphs(session_store, [studies.study_s1(), studies.study_s3()], progress=False)
    sync_ontology(session_store, load_ontology())
    kw = {"seed": 0, "extra_findings": ["loculated pleural effusion", "hydropneumothorax"]}
    ids = ["s50000001", "s50000003"]
    inferred = generate_batch(session_store, ids, infer_absent=True, **kw)
    plain = generate_batch(session_store, ids, infer_absent=False, **kw)
    return {
        **studies.as_dicts(inferred),
        **{"plain/" + k: v for k, v in studies.as_dicts(plain).items()},
    }


def test_absent_parent_finding_answers_no_for_a_never_mentioned_sub_finding(qa_onto):
    q = studies.find(qa_onto["s50000003"], "D02_has_finding", finding="loculated pleural effusion")
    assert studies.texts(studies.mains(q)) == ["No, there is no loculated pleural effusion."]
    assert studies.texts(studies.of_type(q, "details")) == ["There is no pleural effusion."]
    assert q["obs_ids"] == ["O02"]
    # never mentioned: nothing to describe
    studies.none_of(
        qa_onto["s50000003"], "D01_describe_finding", finding="loculated pleural effusion"
    )


def test_without_inference_only_negative_observations_answer_no(qa_onto):
    # --no-infer-absent-subfindings: a "no" needs a (default) negative observation of the
    # finding itself
    studies.none_of(
        qa_onto["plain/s50000003"], "D02_has_finding", finding="loculated pleural effusion"
    )
    q = studies.find(qa_onto["plain/s50000003"], "D02_has_finding", finding="pleural effusion")
    assert studies.texts(studies.mains(q)) == ["No, there is no pleural effusion."]


def test_present_parent_finding_leaves_a_sub_finding_unasked(qa_onto):
    # s1 has a pleural effusion: whether it is loculated the report does not say
    studies.none_of(qa_onto["s50000001"], "D02_has_finding", finding="loculated pleural effusion")
    # hydropneumothorax is under pneumothorax (absent) and pleural effusion (present): unasked
    studies.none_of(qa_onto["s50000001"], "D02_has_finding", finding="hydropneumothorax")


def test_ontology_parents_of_mentioned_regions_and_findings_are_asked_about(qa_onto):
    q = studies.find(qa_onto["s50000001"], "C01_describe_region", region="left hemithorax")
    assert studies.texts(studies.mains(q)) == ["There is a moderate left pleural effusion."]
    q = studies.find(qa_onto["s50000001"], "D05_describe_device", finding="support devices")
    assert studies.texts(studies.mains(q)) == [
        "The endotracheal tube terminates 4 cm above the carina."
    ]
    q = studies.find(qa_onto["s50000001"], "D06_has_device", finding="support devices")
    assert studies.texts(studies.mains(q)) == ["Yes, there are support devices."]


def test_a_sampled_mostly_positive_finding_gets_a_negative_question(store):
    """Loculated effusions are only ever reported as present here, so they are sampled as
    extras; in a study that certainly rules out any effusion, the sampled question is a "no"."""
    import copy

    from cxrkg.qa_gen.sampling import read_weights, study_targets

    s1 = studies.study_s1()
    loculated = copy.deepcopy(s1)
    loculated.study_id, loculated.patient_id = "s50000009", "p10000009"
    loculated.images = {}
    for o in loculated.observations.values():
        o.localization = {}
    if loculated.indication and loculated.indication.answer_for_indication:
        loculated.indication.answer_for_indication.localization = {}
    loculated.observations["O01"].obs_entities = ["loculated pleural effusion"]
    load_scene_graphs(store, [studies.study_s3(), loculated], progress=False)
    sync_ontology(store, load_ontology())
    weights = read_weights(store)
    assert weights.findings["loculated pleural effusion"] > weights.findings["pneumothorax"]
    mention = store.run_named("qa/mentions", {"study_ids": ["s50000003"]})[0]
    seed = next(
        n
        for n in range(200)
        if "loculated pleural effusion" in study_targets(mention, weights, n).sampled_findings
    )
    items = generate_batch(store, ["s50000003"], seed=seed, infer_absent=True)
    q = studies.find(
        studies.as_dicts(items)["s50000003"],
        "D02_has_finding",
        finding="loculated pleural effusion",
    )
    assert studies.texts(studies.mains(q)) == ["No, there is no loculated pleural effusion."]
    report = generate_qa(store, ["s50000003"], seed=seed, infer_absent=True)
    assert report.sampled_answered >= 1 and "sampled extras" in report.summary()


# Sentences of IU reports (CXR372, CXR2229, CXR260, CXR2127) whose QA a radiologist's review
# found wrong because of the ontology: a PICC answered as "a tube", surgical clips as suture
# material, a humeral-head lucent lesion as a lung lesion, a thoracotomy as lung surgery.
REVIEWED_REPORT = (
    "FINDINGS: Right PICC with tip in the SVC. Surgical clips are seen in the right upper "
    "quadrant. Lucent lesion with thin sclerotic margin in the right humeral head. Bilateral "
    "thoracotomy. The lungs are clear. No pleural effusion. IMPRESSION: No acute disease."
)


@pytest.fixture(scope="module")
def qa_reviewed(session_store):  # noqa: ANN001, ANN201
    from cxrkg.ingest.extract.pipeline import ReportInput, ReportPipeline

    onto = load_ontology()
    graph = ReportPipeline(onto, use_embeddings=False).build(
        ReportInput(
            file="reviewed.txt", study_id="s59000001", patient_id="p19000001", text=REVIEWED_REPORT
        )
    )
    session_store.clear()
    session_store.setup_schema()
    load_scene_graphs(session_store, [graph], progress=False)
    sync_ontology(session_store, onto)
    items = generate_batch(session_store, ["s59000001"], seed=0, infer_absent=True)
    return studies.as_dicts(items)["s59000001"]


def _yes(questions, qtype: str, **variables: str) -> list[dict]:  # noqa: ANN001
    return [
        q
        for q in questions
        if q["question_type"] == qtype
        and all(q["variables"].get(k) == v for k, v in variables.items())
        and studies.texts(studies.mains(q))[0].startswith("Yes")
    ]


def test_a_picc_is_a_line_not_a_tube(qa_reviewed):
    assert not _yes(qa_reviewed, "D06_has_device", finding="tube")
    q = studies.find(qa_reviewed, "D06_has_device", finding="picc")
    assert studies.texts(studies.mains(q)) == ["Yes, there is a PICC."]
    q = studies.find(qa_reviewed, "D07_where_is_device", finding="picc")
    assert studies.texts(studies.mains(q)) == ["The PICC is located in the SVC."]


def test_surgical_clips_are_clips_not_suture_material(qa_reviewed):
    q = studies.find(qa_reviewed, "D06_has_device", finding="surgical clips")
    assert studies.texts(studies.mains(q)) == ["Yes, there are surgical clips."]
    studies.none_of(qa_reviewed, "D06_has_device", finding="suture material")


def test_a_bone_lesion_and_a_thoracotomy_leave_clear_lungs_normal(qa_reviewed):
    assert not _yes(qa_reviewed, "D02_has_finding", finding="lung lesion")
    assert not _yes(qa_reviewed, "D02_has_finding", finding="lung surgery")
    assert _yes(qa_reviewed, "D02_has_finding", finding="bone lesion")
    assert _yes(qa_reviewed, "D02_has_finding", finding="thoracotomy")
    assert not _yes(qa_reviewed, "B10_is_abnormal_subcat", subcategory="LUNG_FIELD")
    assert not _yes(qa_reviewed, "B10_is_abnormal_subcat", subcategory="NEOPLASM")
    q = studies.find(qa_reviewed, "C04_is_normal_region", region="lungs")
    assert studies.texts(studies.mains(q)) == ["Yes, the lungs are normal."]
