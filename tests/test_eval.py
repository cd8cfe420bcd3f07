"""Evaluation against references: MCC with known answers, MeSH term mapping, label CSVs,
box IoU / IoP / IoT with known answers, and both read from a real graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkg.ingest.evaluate import (
    EvaluationError,
    evaluate_boxes,
    evaluate_boxes_in_store,
    evaluate_labels,
    evaluate_labels_in_store,
    map_reference_term,
    mcc,
    predicted_concepts,
    read_label_csv,
)
from cxrkg.ingest.extract.build import RegionBox
from cxrkg.ingest.extract.pipeline import ReportInput, ReportPipeline
from cxrkg.ingest.load import load_scene_graphs
from cxrkg.ingest.mapping import ConceptMapper
from cxrkg.ingest.model import Image, SceneGraph
from cxrkg.ontology import load_ontology


@pytest.fixture(scope="module")
def pipeline() -> ReportPipeline:
    return ReportPipeline(load_ontology())


@pytest.fixture(scope="module")
def mapper(pipeline: ReportPipeline) -> ConceptMapper:
    return pipeline.mapper


def test_mcc_known_values() -> None:
    assert mcc(10, 0, 0, 10) == 1.0
    assert mcc(0, 10, 10, 0) == -1.0
    assert mcc(5, 5, 5, 5) == 0.0
    assert mcc(0, 0, 0, 20) == 0.0  # no positives at all: defined as 0
    assert mcc(6, 2, 1, 11) == pytest.approx((6 * 11 - 2 * 1) / (8 * 7 * 13 * 12) ** 0.5)


def test_per_class_and_micro_mcc() -> None:
    predicted = {"a": {"x"}, "b": {"x", "y"}, "c": set(), "d": {"y"}}
    reference = {"a": {"x"}, "b": {"x"}, "c": {"y"}, "d": {"y"}, "e": {"x"}}
    result = evaluate_labels(predicted, reference)
    assert result.studies == 4  # e was never predicted: not scored
    by = {c.name: c for c in result.classes}
    assert (by["x"].tp, by["x"].fp, by["x"].fn, by["x"].tn) == (2, 0, 0, 2)
    assert by["x"].mcc == 1.0
    assert (by["y"].tp, by["y"].fp, by["y"].fn, by["y"].tn) == (1, 1, 1, 1)
    assert result.micro == pytest.approx(mcc(3, 1, 1, 3))


@pytest.mark.parametrize(
    ("term", "concept"),
    [
        ("Cardiomegaly/mild", "cardiomegaly"),
        ("Opacity/lung/base/left", "lung opacity"),
        ("Pleural Effusion/right", "pleural effusion"),
        ("Lung/hypoinflation/mild", "low lung volumes"),
        ("Calcified Granuloma/lung/upper lobe/right", "calcified granuloma"),
        ("normal", "normal"),
        ("No Indexing", None),
        # clips in 95 of IU's 106 studies so indexed, sutures in 4: the broader concept
        ("Surgical Instruments", "surgical material"),
    ],
)
def test_mesh_terms_map_to_concepts(mapper: ConceptMapper, term: str, concept: str | None) -> None:
    assert map_reference_term(term, mapper) == concept


def test_chexpert_style_csv(tmp_path: Path, mapper: ConceptMapper) -> None:
    p = tmp_path / "labels.csv"
    p.write_text(
        "study_id,No Finding,Cardiomegaly,Pleural Effusion\ns1,,1.0,0.0\ns2,1.0,,\ns3,,-1.0,1\n"
    )
    ref = read_label_csv(p, mapper)
    assert ref == {
        "s1": {"cardiomegaly"},
        "s2": {"normal"},
        "s3": {"cardiomegaly", "pleural effusion"},
    }
    with pytest.raises(EvaluationError, match="study id column"):
        q = tmp_path / "bad.csv"
        q.write_text("x,Cardiomegaly\n1,1\n")
        read_label_csv(q, mapper)


def _graph(pipeline: ReportPipeline, sid: str, text: str, boxes=None) -> SceneGraph:  # noqa: ANN001
    images = {f"{sid}.png": Image(image_id=f"{sid}.png", view_position="PA", width=100, height=100)}
    sg = pipeline.build(
        ReportInput(
            file=sid,
            study_id=sid,
            patient_id="p" + sid,
            text=text,
            images=images,
            region_boxes={f"{sid}.png": boxes} if boxes else None,
        )
    )
    assert isinstance(sg, SceneGraph)
    return sg


def test_predicted_concepts_include_ancestors_and_normal(pipeline: ReportPipeline) -> None:
    sg = _graph(pipeline, "n1", "FINDINGS: Left lower lobe consolidation. No effusion.")
    got = predicted_concepts(sg)
    assert {"consolidation", "airspace opacity", "lung opacity"} <= got
    assert "pleural effusion" not in got and "normal" not in got
    clear = _graph(pipeline, "n2", "FINDINGS: The lungs are clear. No pneumothorax.")
    assert predicted_concepts(clear) == {"normal"}
    maybe = _graph(pipeline, "n3", "FINDINGS: Possible small left pleural effusion.")
    assert "pleural effusion" in predicted_concepts(maybe)
    assert "pleural effusion" not in predicted_concepts(maybe, min_certainty="likely")


def test_box_metrics_known_answers() -> None:
    pred = {
        ("i1", "cardiomegaly"): [(0, 0, 10, 10)],
        ("i2", "cardiomegaly"): [(0, 0, 10, 10)],
        ("i3", "pneumothorax"): [(0, 0, 10, 10)],
    }
    ref = {
        ("i1", "cardiomegaly"): [(0, 0, 10, 10)],  # identical: all three 1.0
        ("i2", "cardiomegaly"): [(0, 0, 2, 10)],  # IoU .2, IoP .2, IoT 1.0
        ("i4", "cardiomegaly"): [(0, 0, 5, 5)],
    }  # no prediction: not scored
    result = evaluate_boxes(pred, ref)
    assert result.pairs == 2
    assert result.per_class["cardiomegaly"] == {"IoU": 0.5, "IoP": 0.5, "IoT": 1.0, "pairs": 2}
    assert result.micro == {"IoU": 0.5, "IoP": 0.5, "IoT": 1.0}


def test_labels_and_boxes_from_the_graph(
    store,
    pipeline: ReportPipeline,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    heart_box = {"cardiac silhouette": RegionBox([(30.0, 40.0, 80.0, 90.0)], "mask")}
    graphs = [
        _graph(pipeline, "e1", "FINDINGS: Moderate cardiomegaly. No effusion.", heart_box),
        _graph(pipeline, "e2", "FINDINGS: Heart size is normal. Small right pleural effusion."),
        _graph(pipeline, "e3", "FINDINGS: The lungs are clear."),
    ]
    report = load_scene_graphs(store, graphs, progress=False)
    assert len(report.loaded) == 3
    labels = tmp_path / "ref.csv"
    labels.write_text(
        "study_id,Cardiomegaly,Pleural Effusion,No Finding\n"
        "e1,1,0,0\ne2,0,1,0\ne3,0,0,1\nnot_loaded,1,0,0\n"
    )
    result = evaluate_labels_in_store(store, labels, mapper=pipeline.mapper)
    assert result.studies == 3 and result.micro == 1.0
    boxes = tmp_path / "boxes.csv"
    boxes.write_text("Image Index,Finding Label,Bbox [x,y,w,h]\ne1.png,Cardiomegaly,35,45,40,40\n")
    box_result = evaluate_boxes_in_store(store, boxes, mapper=pipeline.mapper)
    assert box_result.pairs == 1
    assert box_result.micro == {"IoU": 1.0, "IoP": 1.0, "IoT": 1.0}
    with pytest.raises(EvaluationError, match="no such reference"):
        evaluate_labels_in_store(store, tmp_path / "missing.csv", mapper=pipeline.mapper)


def test_studies_never_indexed_have_no_reference(mapper: ConceptMapper) -> None:
    from cxrkg.ingest.evaluate import reference_from_terms

    ref, coverage = reference_from_terms(
        {"a": ["No Indexing"], "b": ["normal"], "c": ["Cardiomegaly/mild", "Zebra/striped"]}, mapper
    )
    assert ref == {"b": {"normal"}, "c": {"cardiomegaly"}}
    assert coverage["not_indexed_studies"] == 1 and coverage["unmapped"] == 2
