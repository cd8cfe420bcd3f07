"""PadChest label rows -> scene graphs: hand-written rows with known labels, the real CSV
from the wheel (a few hundred rows), and bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkg.ingest.model import Rejected, SceneGraph
from cxrkg.ingest.sources.padchest import padchest_scene_graphs, parse_groups

HEADER = (
    "ImageID,StudyID,PatientID,StudyDate_DICOM,PatientBirth,PatientSex_DICOM,Projection,"
    "Rows_DICOM,Columns_DICOM,ReportID,Report,LabelsLocalizationsBySentence,labelCUIS,"
    "LocalizationsCUIS,MethodLabel\n"
)


def _row(image: str, study: str, groups: str, projection: str = "PA", cuis: str = "[]") -> str:
    return (
        f'{image},{study},pat1,20150914,1950.0,M,{projection},2000,2000,7,"txt .",'
        f'"{groups}","{cuis}",[],Physician\n'
    )


@pytest.fixture()
def csv_file(tmp_path: Path) -> Path:
    p = tmp_path / "padchest.csv"
    p.write_text(
        HEADER
        + _row(
            "a1.png",
            "st1",
            "[['cardiomegaly', 'unchanged'], ['pleural effusion', "
            "'loc costophrenic angle', 'loc left'], ['exclude'], ['normal', 'loc mediastinum']]",
            cuis="['C0018800' 'C2073625']",
        )
        + _row(
            "a2.png",
            "st1",
            "[['cardiomegaly', 'unchanged'], ['pleural effusion', "
            "'loc costophrenic angle', 'loc left'], ['exclude'], ['normal', 'loc mediastinum']]",
            projection="L",
        )
        + _row("b1.png", "st2", "[['normal'], ['normal']]")
        + _row("c1.png", "st3", "nan")
        + _row("d1.png", "st4", "labels: cardiomegaly")
    )
    return p


def test_parse_groups() -> None:
    assert parse_groups("[['a', 'loc b'], ['normal']]") == [["a", "loc b"], ["normal"]]
    assert parse_groups("[]") == []
    assert parse_groups("nan") is None


def test_rows_become_studies_with_observations_per_sentence_group(csv_file: Path) -> None:
    items = list(padchest_scene_graphs(path=csv_file))
    graphs = {i.study_id: i for i in items if isinstance(i, SceneGraph)}
    st1 = graphs["st1"]
    assert set(st1.images) == {"a1.png", "a2.png"}
    assert {i.view_position for i in st1.images.values()} == {"PA", "L"}
    assert (st1.patient_id, st1.gender, st1.study_datetime) == ("pat1", "M", "2015-09-14")
    reported = [o for o in st1.observations.values() if o.from_report]
    by_entity = {e: o for o in reported for e in o.obs_entities}
    cardio = by_entity["cardiomegaly"]
    assert cardio.changes == ["unchanged"] and cardio.positiveness == "pos"
    assert cardio.extras()["umls_cuis"] == ["C0018800"]
    effusion = by_entity["pleural effusion"]
    assert [r.region for r in effusion.regions] == ["left costophrenic angle"]
    assert effusion.laterality == "left"
    # PadChest's "normal" for the mediastinum is a normal statement: no abnormality there
    normal = by_entity["abnormal"]
    assert [r.region for r in normal.regions] == ["mediastinum"]
    assert normal.positiveness == "neg" and normal.certainty == "certain"
    assert len(reported) == 3  # 'exclude' adds nothing
    assert st1.extras()["label_cuis"] == ["C0018800", "C2073625"]
    # Not mentioned and not contradicted: default negatives; pleural effusion is not one.
    defaults = {e for o in st1.observations.values() if not o.from_report for e in o.obs_entities}
    assert "pneumothorax" in defaults and "pleural effusion" not in defaults


def test_normal_unlabelled_and_bad_rows(csv_file: Path) -> None:
    items = {i.study_id: i for i in padchest_scene_graphs(path=csv_file)}
    st2 = items["st2"]
    assert isinstance(st2, SceneGraph)
    said = [o for o in st2.observations.values() if o.from_report]
    assert [(o.obs_entities, o.positiveness) for o in said] == [(["abnormal"], "neg")]
    unlabelled = items["st3"]  # PadChest writes `nan` for a report nobody labelled
    assert isinstance(unlabelled, SceneGraph) and set(unlabelled.images) == {"c1.png"}
    assert not unlabelled.observations
    assert unlabelled.study_quality["issue_level"] == "NON_INTERPRETABLE"
    bad = items["st4"]
    assert isinstance(bad, Rejected) and bad.field == "LabelsLocalizationsBySentence"
    assert "labels: cardiomegaly" in bad.reason


def test_missing_column_is_a_rejection_naming_it(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("ImageID,StudyID\na,b\n")
    [rej] = list(padchest_scene_graphs(path=p))
    assert isinstance(rej, Rejected) and "PatientID" in rej.reason and str(p) == rej.file


def test_real_padchest_rows_from_the_wheel() -> None:
    items = list(padchest_scene_graphs(limit=200))
    graphs = [i for i in items if isinstance(i, SceneGraph)]
    assert len(items) == 200 and len(graphs) == 200
    assert all(g.source == "padchest" and g.images for g in graphs)
    entities = {e for g in graphs for o in g.observations.values() for e in o.obs_entities}
    # PadChest's "normal" studies are normal statements, not "normal" findings
    assert {"abnormal", "cardiomegaly", "pleural effusion"} <= entities and "normal" not in entities
    unresolved = sum(
        len(o.non_resolved_obs_entities) for g in graphs for o in g.observations.values()
    )
    total = sum(len(o.obs_entities) for g in graphs for o in g.observations.values())
    assert unresolved < 0.05 * total
