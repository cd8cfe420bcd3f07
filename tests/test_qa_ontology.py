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
