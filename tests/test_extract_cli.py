"""`cxrkg ingest reports|iu|padchest` and `cxrkg eval labels` against the test session's store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cxrkg.app.cli import app

runner = CliRunner()


def test_ingest_reports_then_eval_labels(store, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "p1"
    folder.mkdir()
    (folder / "s1.txt").write_text("FINDINGS: Moderate cardiomegaly. No pleural effusion.\n")
    (folder / "s2.txt").write_text("FINDINGS: Small left pleural effusion.\n")
    res = runner.invoke(app, ["ingest", "reports", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "2 studies loaded" in res.output
    ref = tmp_path / "ref.csv"
    ref.write_text("study_id,Cardiomegaly,Pleural Effusion\ns1,1,0\ns2,0,1\n")
    res = runner.invoke(app, ["eval", "labels", "--reference", str(ref), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["studies"] == 2 and out["micro_mcc"] == 1.0


def test_bad_input_exits_2_with_the_reason(store, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "r.csv"
    bad.write_text("id,notes\n1,x\n")
    res = runner.invoke(app, ["ingest", "reports", str(bad)])
    text = " ".join(res.output.split())  # rich wraps long messages
    assert res.exit_code == 2 and "r.csv: no report column" in text
    assert "Traceback" not in text
    res = runner.invoke(app, ["eval", "labels", "--reference", str(tmp_path / "none.csv")])
    assert res.exit_code == 2 and "no such reference" in " ".join(res.output.split())


def test_ingest_iu_and_padchest_with_limit(store) -> None:  # noqa: ANN001
    res = runner.invoke(app, ["ingest", "iu", "--limit", "5"])
    assert res.exit_code == 0, res.output
    assert "5 studies loaded" in res.output
    res = runner.invoke(app, ["ingest", "padchest", "--limit", "20"])
    assert res.exit_code == 0, res.output
    assert "20 studies loaded" in res.output


def test_eval_boxes_from_the_command_line(store, tmp_path: Path) -> None:  # noqa: ANN001
    from cxrkg.ingest.extract.build import RegionBox
    from cxrkg.ingest.extract.pipeline import ReportInput, ReportPipeline
    from cxrkg.ingest.load import load_scene_graphs
    from cxrkg.ingest.model import Image

    sg = ReportPipeline().build(
        ReportInput(
            file="x",
            study_id="b1",
            patient_id="p1",
            text="FINDINGS: Moderate cardiomegaly.",
            images={"b1.png": Image(image_id="b1.png", view_position="PA")},
            region_boxes={"b1.png": {"cardiac silhouette": RegionBox([(30.0, 40.0, 80.0, 90.0)])}},
        )
    )
    load_scene_graphs(store, [sg], progress=False)
    ref = tmp_path / "boxes.csv"
    ref.write_text("Image Index,Finding Label,Bbox [x,y,w,h]\nb1.png,Cardiomegaly,0,0,20,20\n")
    res = runner.invoke(app, ["eval", "boxes", "--reference", str(ref), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["pairs"] == 1 and out["micro"] == {"IoU": 0.0, "IoP": 0.0, "IoT": 0.0}
