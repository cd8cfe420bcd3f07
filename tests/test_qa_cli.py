"""`cxrkg qa generate` and `cxrkg qa export` end to end on the embedded store."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from cxrkg.app.cli import app
from cxrkg.ingest.load import load_scene_graphs

_spec = importlib.util.spec_from_file_location(
    "qa_studies", Path(__file__).with_name("test_qa_families.py")
)
studies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(studies)


def test_generate_writes_the_release_and_summary_and_export_rebuilds_the_a_subset(store, tmp_path):
    load_scene_graphs(store, [studies.study_s1(), studies.study_s3()], progress=False)
    runner = CliRunner()
    out = tmp_path / "qa"
    result = runner.invoke(
        app,
        [
            "qa",
            "generate",
            "--studies",
            "s50000001,s50000003",
            "--out",
            str(out),
            "--seed",
            "1",
            "--write-graph",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 studies" in result.output and "per grade:" in result.output
    assert "exports/A_frontal:" in result.output and "exports/B_frontal:" in result.output
    with zipfile.ZipFile(out / "qa.zip") as zf:
        assert "qa/p10/p10000001/s50000001.qa.json" in zf.namelist()
    stored = store.run("MATCH (q:Question) RETURN count(q) AS n")[0]["n"]
    assert f"{stored:,} questions stored in the graph" in result.output
    (out / "exports" / "A_frontal" / "qa.zip").unlink()
    result = runner.invoke(
        app, ["qa", "export", "--from", str(out), "--grade", "A", "--subset-size", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "exports/A_frontal:" in result.output and "q1M 5" in result.output
    assert (out / "exports" / "A_frontal" / "qa.zip").is_file()
    q1m = out / "exports" / "A_frontal" / "metadata" / "q1M" / "question_metadata.parquet"
    assert len(pd.read_parquet(q1m)) == 5


def test_generate_says_what_to_do_without_studies_or_output(store, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["qa", "generate", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "--studies ID" in result.output
    result = runner.invoke(app, ["qa", "export", "--from", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "run `cxrkg qa generate" in result.output
    result = runner.invoke(app, ["qa", "export", "--from", str(tmp_path), "--grade", "E"])
    assert result.exit_code == 1 and "use one of A++, A+, A, B, C, D" in result.output
    for name in ("qa.zip", "scene_data.zip"):
        (tmp_path / name).write_bytes(b"not a zip")
    result = runner.invoke(app, ["qa", "export", "--from", str(tmp_path)])
    said = " ".join(result.output.split())  # the console wraps long lines
    assert result.exit_code == 1 and "qa.zip: not a readable zip file" in said
