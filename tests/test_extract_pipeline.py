"""Reports through the whole path: readers -> extraction -> construction -> the real graph.
Real IU reports are read from the torchxrayvision wheel at test time, never stored here."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkg.ingest.extract.pipeline import ReportInput, ReportPipeline
from cxrkg.ingest.graph_read import read_scene_graph
from cxrkg.ingest.load import load_scene_graphs
from cxrkg.ingest.model import Rejected, SceneGraph
from cxrkg.ingest.sources.iu import iu_reference_labels, iu_scene_graphs
from cxrkg.ingest.sources.reports import ReportSourceError, read_reports, report_scene_graphs
from cxrkg.ontology import load_ontology
from cxrkg.ontology.sync import sync_ontology
from cxrkg.ontology.values import EXTRACTION_CRITERIA

REPORT = """                                 FINAL REPORT
 EXAMINATION:  CHEST (PA AND LAT)

 INDICATION:  ___-year-old male with cough and fever.  Evaluate for pneumonia.

 COMPARISON:  ___

 FINDINGS:

 There is a new left lower lobe opacity, likely pneumonia.  No pleural effusion or
 pneumothorax.  Mild cardiomegaly is unchanged.

 IMPRESSION:

 Left lower lobe pneumonia.
"""


@pytest.fixture(scope="module")
def pipeline() -> ReportPipeline:
    return ReportPipeline(load_ontology())


@pytest.fixture(scope="module")
def mimic_graph(pipeline: ReportPipeline, tmp_path_factory: pytest.TempPathFactory) -> SceneGraph:
    folder = tmp_path_factory.mktemp("mimic") / "p10000001"
    folder.mkdir()
    (folder / "s50000001.txt").write_text(REPORT)
    items = list(report_scene_graphs(folder.parent, pipeline))
    assert len(items) == 1 and isinstance(items[0], SceneGraph)
    return items[0]


def _obs_with(sg: SceneGraph, entity: str) -> list:
    return [o for o in sg.observations.values() if entity in o.obs_entities]


def test_mimic_report_becomes_a_complete_scene_graph(mimic_graph: SceneGraph) -> None:
    sg = mimic_graph
    assert (sg.patient_id, sg.study_id, sg.source) == ("p10000001", "s50000001", "reports")
    opacity = _obs_with(sg, "lung opacity")[0]
    assert opacity.positiveness == "pos" and opacity.changes == ["new"]
    assert "left lower lobe" in [r.region for r in opacity.regions]
    child_ids = [
        r.child_observation_id
        for r in sg.obs_relations
        if r.parent_observation_id == opacity.obs_id
    ]
    assert child_ids and sg.observations[child_ids[0]].obs_entities == ["pneumonia"]
    assert child_ids[0].startswith(opacity.obs_id + ".")
    effusion = _obs_with(sg, "pleural effusion")[0]
    assert (effusion.probability, effusion.certainty, effusion.positiveness) == (
        "negative",
        "certain",
        "neg",
    )
    assert effusion.default_regions and effusion.regions  # default regions when none named
    cardiomegaly = _obs_with(sg, "cardiomegaly")[0]
    assert cardiomegaly.changes == ["unchanged"] and cardiomegaly.modifiers["severity"] == ["mild"]
    assert "enlarged cardiac silhouette" in cardiomegaly.obs_entities_parents
    # Every observation knows the sentence it came from.
    sent_of = {r.observation_id for r in sg.obs_sent_relations}
    assert all(o.obs_id in sent_of for o in sg.observations.values() if o.from_report)


def test_findings_and_impression_duplicates_merge(mimic_graph: SceneGraph) -> None:
    pneumonia_top = [o for o in _obs_with(mimic_graph, "pneumonia") if o.child_level == 0]
    assert len(pneumonia_top) == 1
    sentences = {
        r.sentence_id
        for r in mimic_graph.obs_sent_relations
        if r.observation_id == pneumonia_top[0].obs_id
    }
    assert {mimic_graph.sentences[s].section_type for s in sentences} == {"IMPRESSION"}


def test_default_negative_not_added_beside_a_broader_positive_finding(
    mimic_graph: SceneGraph,
) -> None:
    # A left lower lobe "opacity" could be consolidation or edema: neither is ruled out.
    for finding in ("consolidation", "pulmonary edema"):
        assert not [o for o in _obs_with(mimic_graph, finding) if not o.from_report]


def test_default_negatives_added_where_the_report_says_nothing_related(
    pipeline: ReportPipeline,
) -> None:
    sg = pipeline.build(
        ReportInput(
            file="inline",
            study_id="s1",
            patient_id="p1",
            text="FINDINGS: Mild cardiomegaly. No pleural effusion.",
        )
    )
    assert isinstance(sg, SceneGraph)
    defaults = {e for o in sg.observations.values() if not o.from_report for e in o.obs_entities}
    assert defaults == {"pneumothorax", "consolidation", "pulmonary edema"}
    assert all(o.positiveness == "neg" for o in sg.observations.values() if not o.from_report)


def test_default_negative_never_contradicts_a_look_alike(pipeline: ReportPipeline) -> None:
    # IU wording: "basilar infiltrates" beside a default "There is no consolidation."
    sg = pipeline.build(
        ReportInput(
            file="inline",
            study_id="s2",
            patient_id="p2",
            text="FINDINGS: Bilateral basilar infiltrates. Heart size normal.",
        )
    )
    assert isinstance(sg, SceneGraph)
    defaults = {e for o in sg.observations.values() if not o.from_report for e in o.obs_entities}
    assert "consolidation" not in defaults and "pulmonary edema" not in defaults
    assert {"pneumothorax", "pleural effusion"} <= defaults


def test_region_tree_is_filled_and_related(mimic_graph: SceneGraph) -> None:
    sg = mimic_graph
    assert {"left lower lobe", "left lung", "lungs", "chest"} <= set(sg.regions)
    subs = {
        (r.region, r.related_region)
        for r in sg.region_region_relations
        if r.relation_type == "sub_region"
    }
    assert ("left lung", "left lower lobe") in subs and ("lungs", "left lung") in subs
    located = {(r.observation_id, r.region, r.where_specified) for r in sg.located_at_relations}
    opacity = _obs_with(sg, "lung opacity")[0]
    assert (opacity.obs_id, "left lower lobe", "direct") in located


def test_indication_answer_observation(mimic_graph: SceneGraph) -> None:
    ind = mimic_graph.indication
    assert ind is not None and ind.patient_info == "Male."
    assert ind.evaluation == "Evaluate for pneumonia."
    oind = ind.answer_for_indication
    assert oind is not None and oind.obs_id == "OIND"
    assert oind.obs_entities == ["pneumonia"] and oind.positiveness == "pos"
    assert ind.associated_obs_ids and ind.associated_sentence_ids


def test_an_indication_naming_no_finding_is_answered_by_the_impression(
    pipeline: ReportPipeline,
) -> None:
    """For "chest pain" the radiologist's answer is the impression, not the incidental
    degenerative change the findings also list; without an impression, the findings."""
    findings = (
        "FINDINGS: The heart is normal in size. The lungs are clear. Mild degenerative disc "
        "disease of the thoracic spine."
    )

    def answer(text: str) -> str:
        report = ReportInput(file="r.txt", study_id="s1", patient_id="p1", text=text)
        sg = pipeline.build(report)
        assert isinstance(sg, SceneGraph) and sg.indication is not None
        assert sg.indication.answer_for_indication is not None
        return sg.indication.answer_for_indication.name

    impression = " IMPRESSION: No acute cardiopulmonary abnormality."
    assert answer("INDICATION: chest pain. " + findings + impression) == (
        "no acute cardiopulmonary abnormality"
    )
    assert "degenerative" in answer("INDICATION: chest pain. " + findings)


def test_every_quality_criterion_is_recorded_by_name(mimic_graph: SceneGraph) -> None:
    for o in mimic_graph.all_observations().values():
        assert set(o.obs_quality) == set(EXTRACTION_CRITERIA)
        for criterion, value in o.obs_quality.items():
            assert value in {opt.name for opt in EXTRACTION_CRITERIA[criterion]}
    q = mimic_graph.study_quality
    assert set(q) == set(EXTRACTION_CRITERIA)
    assert q["localization_quality"] == "NO_LOCALIZATION"
    # Default-only regions somewhere in the study cap its region quality.
    assert q["region_quality"] in ("DEFAULT_REGIONS_ONLY", "NO_REGIONS")


def test_csv_reports_and_bad_input(tmp_path: Path, pipeline: ReportPipeline) -> None:
    csv_file = tmp_path / "r.csv"
    csv_file.write_text(
        'study_id,subject_id,report\ns1,p1,"FINDINGS: No pneumothorax."\ns2,p2,""\n'
    )
    items = list(report_scene_graphs(csv_file, pipeline))
    assert isinstance(items[0], SceneGraph) and items[0].patient_id == "p1"
    assert isinstance(items[1], Rejected) and items[1].study_id == "s2"
    assert items[1].field == "report" and "r.csv:3" in items[1].file

    no_col = tmp_path / "n.csv"
    no_col.write_text("id,notes\n1,x\n")
    with pytest.raises(ReportSourceError, match="n.csv: no report column"):
        list(read_reports(no_col))

    latin = tmp_path / "p9" / "s9.txt"
    latin.parent.mkdir()
    latin.write_bytes("FINDINGS: No effusi\xf3n.".encode("latin-1"))
    [rej] = list(read_reports(latin))
    assert isinstance(rej, Rejected) and rej.study_id == "s9" and rej.field == "text"
    assert "UTF-8" in rej.reason


def test_report_without_findings_is_kept_and_graded(pipeline: ReportPipeline) -> None:
    sg = pipeline.build(
        ReportInput(file="x", study_id="s1", patient_id="p1", text="INDICATION: cough")
    )
    assert isinstance(sg, SceneGraph) and not sg.observations
    assert sg.study_quality["issue_level"] == "NON_INTERPRETABLE"


def test_real_iu_reports_load_into_the_graph(store, pipeline: ReportPipeline) -> None:  # noqa: ANN001
    items = list(iu_scene_graphs(pipeline, limit=30))
    assert len(items) == 30
    graphs = [sg for sg in items if isinstance(sg, SceneGraph)]
    assert len(graphs) == 30
    assert all(sg.source == "iu" and sg.images for sg in graphs)
    views = {img.view_position for sg in graphs for img in sg.images.values()}
    assert "PA" in views
    sync_ontology(store, pipeline.onto)
    report = load_scene_graphs(store, graphs, progress=False)
    assert len(report.loaded) == 30 and not report.rejected
    back = read_scene_graph(store, graphs[0].study_id)
    assert set(back.observations) == set(graphs[0].observations)
    rows = store.run(
        "MATCH (o:Observation)-[:HAS_ENTITY]->(f:Finding) RETURN count(DISTINCT o) AS n",
        read_only=True,
    )
    assert rows[0]["n"] > 30
    # The MeSH reference labels come from the same files.
    labels = iu_reference_labels(limit=30)
    assert set(labels) == {sg.study_id for sg in graphs}


def test_classical_boxes_localize_observations_on_a_real_image(pipeline: ReportPipeline) -> None:
    from cxrkg.ingest.localize import classical_region_boxes
    from cxrkg.ingest.model import Image

    image = Path(__file__).resolve().parents[1] / "demo" / "images" / "00000001_000.png"
    boxes = classical_region_boxes(image, pipeline.onto)
    sg = pipeline.build(
        ReportInput(
            file="demo",
            study_id="d1",
            patient_id="p1",
            text="FINDINGS: Moderate cardiomegaly. Left lower lobe opacity. No pneumothorax.",
            images={"img": Image(image_id="img", view_position="PA", width=512, height=512)},
            region_boxes={"img": boxes},
        )
    )
    assert isinstance(sg, SceneGraph)
    heart = _obs_with(sg, "cardiomegaly")[0].localization["img"]
    assert heart.bboxes == [tuple(b) for b in boxes["cardiac silhouette"].bboxes]
    assert heart.is_fallback and heart.localization_quality == "FALLBACK_LOCALIZATION"
    lll = _obs_with(sg, "lung opacity")[0].localization["img"]
    # No box for the lobe itself: its nearest boxed ancestor (the left lung) stands in.
    assert lll.bboxes == [tuple(b) for b in boxes["left lung"].bboxes]
    assert sg.regions["left lung"].localization["img"].bboxes
    assert sg.study_img_localization_quality["img"] in (
        "FALLBACK_LOCALIZATION",
        "INCOMPLETE_LOCALIZATION",
    )
