"""Ingest of scene graphs as the real MIMIC-Ext-CXR-QBA release ships them: no `images` block,
quality under the real key names as raw integer codes, images in `metadata/image_metadata`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from cxrkg.app.cli import app
from cxrkg.app.demo import demo_dir
from cxrkg.ingest.graph_read import read_scene_graph
from cxrkg.ingest.load import ingest_qba
from cxrkg.ingest.model import SceneGraph
from cxrkg.ingest.sources.qba import QBASource
from cxrkg.qa_gen.export import ReleaseOptions
from cxrkg.qa_gen.generate import generate_qa

PATIENT, STUDY = "p10000001", "s50000001"  # a PA and a lateral image
PA, LAT = "50000001-01-pa", "50000001-02-lateral"


def demo_study() -> SceneGraph:
    sg = QBASource(demo_dir()).study(STUDY)
    assert isinstance(sg, SceneGraph)
    return sg


def real_tree(root: Path, change: Any = None) -> Path:
    """The demo study written as a real release file: release-form JSON, no images, no
    metadata.json; the images only in `root/metadata/image_metadata.csv.gz`."""
    data = demo_study().to_qba_json()
    if change:
        change(data)
    folder = root / "scene_data" / "p10" / PATIENT
    folder.mkdir(parents=True)
    (folder / f"{STUDY}.scene_graph.json").write_text(json.dumps(data))
    table = pd.DataFrame(
        [
            {"image_id": PA, "view_position": "PA", "size": "[512, 512]"},
            {"image_id": LAT, "view_position": "LATERAL", "size": "[512, 512]"},
        ]
    ).assign(patient_id=PATIENT, study_id=STUDY)
    (root / "metadata").mkdir()
    with gzip.open(root / "metadata" / "image_metadata.csv.gz", "wt") as fh:
        table.set_index(["patient_id", "study_id", "image_id"]).to_csv(fh)
    return root / "scene_data"


def test_real_files_read_like_the_seed_spelling_and_images_come_from_the_table(store, tmp_path):
    data = demo_study().to_qba_json()
    assert "images" not in data and data["study_quality"]["general_issue_level"] == 5
    tree = real_tree(tmp_path)
    report = ingest_qba(store, tree, progress=False)
    assert report.loaded == [STUDY] and not report.notices
    sg = read_scene_graph(store, STUDY)
    assert sg.study_quality == demo_study().study_quality  # codes read back as the names
    assert {i: img.view_position for i, img in sg.images.items()} == {PA: "PA", LAT: "LATERAL"}
    assert sg.images[PA].width == 512
    out = tmp_path / "out"
    generate_qa(store, [STUDY], out, release=ReleaseOptions(subset_size=10))
    b = out / "exports" / "B_frontal" / "metadata"  # the study is graded B
    images = pd.read_parquet(b / "image_metadata.parquet")
    assert list(images.index.get_level_values("image_id")) == [PA]
    assert len(pd.read_parquet(b / "question_metadata.parquet")) > 0


def test_a_study_discarded_in_every_observation_is_graded_d(store, tmp_path):
    def discard(data: dict[str, Any]) -> None:
        data["study_quality"].pop("general_issue_level")  # only the observations say it
        for obs in data["observations"].values():
            obs["obs_quality"]["general_issue_level"] = 0

    ingest_qba(store, real_tree(tmp_path, discard), progress=False)
    sg = read_scene_graph(store, STUDY)
    assert sg.study_quality["issue_level"] == "DISCARDED"
    assert store.run("MATCH (s:Study) RETURN s.grade AS g")[0]["g"] == "D"
    report = generate_qa(store, [STUDY], tmp_path / "out", release=ReleaseOptions())
    assert report.questions > 0 and dict(report.by_grade) == {"D": report.questions}
    b = pd.read_parquet(
        tmp_path / "out" / "exports" / "B_frontal" / "metadata" / "question_metadata.parquet"
    )
    assert b.empty


def test_an_unknown_quality_key_is_loaded_and_reported_with_file_study_and_field(store, tmp_path):
    def mystery(data: dict[str, Any]) -> None:
        data["observations"]["O01"]["obs_quality"]["mystery_quality"] = 1

    tree = real_tree(tmp_path, mystery)
    result = CliRunner().invoke(app, ["ingest", "qba", str(tree)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "1 studies loaded" in said
    assert "s50000001.scene_graph.json (study s50000001), field" in said
    assert "observations.O01.obs_quality.mystery_quality: unknown quality key" in said
    assert "'mystery_quality' (value 1)" in said


def test_an_unknown_quality_value_rejects_the_study_naming_the_field(store, tmp_path):
    def broken(data: dict[str, Any]) -> None:
        data["observations"]["O01"]["obs_quality"]["general_issue_level"] = 9

    report = ingest_qba(store, real_tree(tmp_path, broken), progress=False)
    assert not report.loaded and len(report.rejected) == 1
    rejected = report.rejected[0]
    assert rejected.study_id == STUDY
    assert rejected.field == "observations.O01.obs_quality.issue_level"
    assert "unknown value 9" in rejected.reason


def test_images_listed_in_the_metadata_json_are_used_without_a_table(store, tmp_path):
    folder = tmp_path / "p10" / PATIENT
    folder.mkdir(parents=True)
    (folder / f"{STUDY}.scene_graph.json").write_text(json.dumps(demo_study().to_qba_json()))
    meta = {
        "patient_id": PATIENT,
        "study_id": STUDY,
        "procedure": "CHEST (PA AND LAT)",
        "images": [
            {"image_id": PA, "view_position": "PA"},
            {"image_id": LAT, "view_position": "LATERAL"},
        ],
    }
    (folder / f"{STUDY}.metadata.json").write_text(json.dumps(meta))
    ingest_qba(store, tmp_path, progress=False)
    sg = read_scene_graph(store, STUDY)
    assert sg.images[PA].is_frontal and not sg.images[LAT].is_frontal
    assert sg.metadata is not None and sg.metadata.procedure == "CHEST (PA AND LAT)"
