"""The QA release in the MIMIC-Ext-CXR-QBA layout, read back the way public readers of the real
files read it (../shared/QBA-REAL-LAYOUT.md), and cxrkg's own scene_data.zip ingested again.

The readers here are written from those facts alone: open `qa/{p[:3]}/{p}/{s}.qa.json` in
qa.zip, read every `*.scene_graph.json` under `scene_data`, read the q1M question tables and
`reset_index()`, filter on `question.quality.rating` through quality_mappings.csv, and join
on (patient_id, study_id, question_id).
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from cxrkg.app.cli import app
from cxrkg.app.demo import load_demo
from cxrkg.ingest.graph_read import read_scene_graph
from cxrkg.ingest.graph_stats import graph_stats
from cxrkg.ontology import load_ontology
from cxrkg.ontology.sync import sync_ontology
from cxrkg.qa_gen.export import ReleaseOptions, export_subset, load_qa
from cxrkg.qa_gen.generate import READER_PROCESS_BATCHES, all_study_ids, generate_qa
from cxrkg.qa_gen.graph_write import read_study_qa
from cxrkg.qa_gen.model import QADocument, QAFileError

SUBSET = 40
QUESTION_KEY = ["patient_id", "study_id", "question_id"]
TABLES = (
    "patient_metadata",
    "study_metadata",
    "image_metadata",
    "question_metadata",
    "question_image_metadata",
    "answer_metadata",
    "answer_image_metadata",
)
INDEX = {
    "patient_metadata": ["patient_id"],
    "study_metadata": ["patient_id", "study_id"],
    "image_metadata": ["patient_id", "study_id", "image_id"],
    "question_metadata": QUESTION_KEY,
    "question_image_metadata": [*QUESTION_KEY, "image_id"],
    "answer_metadata": [*QUESTION_KEY, "answer_id"],
    "answer_image_metadata": [*QUESTION_KEY, "answer_id", "image_id"],
}


def walk(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [x for a in answers for x in [a, *walk(a["sub_answers"])]]


@pytest.fixture(scope="module")
def demo_release(session_store, tmp_path_factory):  # noqa: ANN001, ANN201
    """The demo in the graph, its scene graphs as stored, and the release written from it."""
    store = session_store
    store.clear()
    store.setup_schema()
    load_demo(store, progress=False)
    ids = [r["id"] for r in store.run("MATCH (s:Study) RETURN s.study_id AS id ORDER BY id")]
    before = {sid: read_scene_graph(store, sid) for sid in ids}
    counts = graph_stats(store)
    out = tmp_path_factory.mktemp("release")
    report = generate_qa(
        store, None, out, seed=3, write_graph=True, release=ReleaseOptions(subset_size=SUBSET)
    )
    stored = {
        sid: read_study_qa(store, sid, before[sid].patient_id).to_release_json() for sid in ids
    }
    answers = store.run("MATCH (a:Answer) RETURN count(a) AS n")[0]["n"]
    return {
        "out": out,
        "report": report,
        "graphs": before,
        "counts": counts,
        "stored_qa": stored,
        "answer_nodes": answers,
    }


def mapping(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "quality_mappings.csv")


def rating_code(out: Path, grade: str) -> int:
    m = mapping(out)
    return int(m[(m["criterion"] == "rating") & (m["name"] == grade)]["code"].iloc[0])


# -- the files a reader opens ------------------------------------------------------------------
def test_every_study_has_its_qa_json_where_readers_open_it(demo_release):
    out, report = demo_release["out"], demo_release["report"]
    studies = pd.read_parquet(out / "metadata" / "study_metadata.parquet").reset_index()
    questions = answers = 0
    with zipfile.ZipFile(out / "qa.zip") as zf:
        for pid, sid in studies[["patient_id", "study_id"]].itertuples(index=False):
            doc = json.loads(zf.read(f"qa/{pid[:3]}/{pid}/{sid}.qa.json"))
            assert doc["patient_id"] == pid and doc["study_id"] == sid
            questions += len(doc["questions"])
            answers += sum(len(walk(q["answers"])) for q in doc["questions"])
            for q in doc["questions"]:
                assert q["question_id"].startswith(q["question_type"] + "_")
                assert len(q["question_id"].rsplit("_", 1)[1]) == 3
                assert all(isinstance(a["answer_id"], int) for a in walk(q["answers"]))
    assert studies["study_id"].nunique() == report.studies == 22
    assert questions == report.questions and answers == report.answers


def test_qa_json_holds_raw_quality_codes_under_the_real_key_names(demo_release):
    doc = json.loads(
        zipfile.ZipFile(demo_release["out"] / "qa.zip").read("qa/p10/p10000001/s50000001.qa.json")
    )
    q = doc["questions"][0]
    assert list(q) == [
        "question_id",
        "question_type",
        "question_strategy",
        "variables",
        "obs_ids",
        "contains_report_answers",
        "contains_template_answers",
        "extraction_quality",
        "question_img_localization_quality",
        "question",
        "answers",
        "question_quality",
    ]
    assert set(q["extraction_quality"]) >= {
        "region_extract_quality",
        "entity_extract_quality",
        "general_issue_level",
    }
    assert all(isinstance(v, int) for v in q["extraction_quality"].values())
    assert isinstance(q["question_quality"]["rating"], int)
    assert all(isinstance(v, int) for v in q["question_img_localization_quality"].values())
    answer = q["answers"][0]
    assert not {"source_obs_id", "source_study_id", "_obs_id"} & set(answer)
    for loc in answer["localization"].values():
        assert loc["localization_quality"] is None or isinstance(loc["localization_quality"], int)


def test_every_scene_graph_under_scene_data_loads_with_its_metadata_json_beside_it(
    demo_release, tmp_path
):
    with zipfile.ZipFile(demo_release["out"] / "scene_data.zip") as zf:
        zf.extractall(tmp_path)
    files = sorted((tmp_path / "scene_data").rglob("*.scene_graph.json"))
    assert len(files) == 22
    for path in files:
        sg = json.loads(path.read_text())
        assert path.parent.name == sg["patient_id"] and path.parent.parent.name == "p10"
        assert "images" not in sg  # as in the real files: images live in the metadata
        assert isinstance(sg["study_quality"]["general_issue_level"], int)
        meta = json.loads(path.with_name(f"{sg['study_id']}.metadata.json").read_text())
        assert meta["study_id"] == sg["study_id"] and meta["images"]


def test_every_metadata_table_loads_in_both_forms_with_the_ids_as_index(demo_release):
    out = demo_release["out"]
    for folder in (out / "metadata", out / "exports" / "A_frontal" / "metadata"):
        for name in TABLES:
            table = pd.read_parquet(folder / f"{name}.parquet")
            assert list(table.index.names) == INDEX[name]
            flat = pd.read_csv(folder / f"{name}.csv.gz")
            assert list(flat.columns[: len(INDEX[name])]) == INDEX[name]
            assert len(flat) == len(table)
            assert all("." in c for c in table.columns), name
    info = json.loads((out / "metadata" / "dataset_info.json").read_text())
    assert "pleural effusion" in info["entities_in_graph"]
    assert "B01_describe_all" in info["question_types"]


def test_tables_join_on_patient_study_and_question_without_exploding(demo_release):
    meta = demo_release["out"] / "metadata"
    questions = pd.read_parquet(meta / "question_metadata.parquet").reset_index()
    images = pd.read_parquet(meta / "question_image_metadata.parquet").reset_index()
    answers = pd.read_parquet(meta / "answer_metadata.parquet").reset_index()
    studies = pd.read_parquet(meta / "study_metadata.parquet").reset_index()
    # question ids repeat across studies, as in the real release: never join on them alone
    assert questions["question_id"].duplicated().any()
    assert not questions.duplicated(QUESTION_KEY).any()
    joined = questions.merge(images, on=QUESTION_KEY, how="inner")
    assert len(joined) == len(images)
    # every image of the study is listed for every question (QBA lists them all)
    per_question = images.groupby(QUESTION_KEY).size().rename("n").reset_index()
    per_question = per_question.merge(studies, on=["patient_id", "study_id"])
    assert (per_question["n"] == per_question["study.num_images"]).all()
    assert len(answers.merge(questions, on=QUESTION_KEY)) == len(answers)
    counts = answers.groupby(QUESTION_KEY).size().rename("n").reset_index()
    counts = counts.merge(questions, on=QUESTION_KEY)
    assert (counts["n"] == counts["question.num_answers"]).all()


def test_one_answer_node_per_answer_and_the_graph_gives_back_the_files(demo_release):
    out, report = demo_release["out"], demo_release["report"]
    assert demo_release["answer_nodes"] == report.answers
    answers = pd.read_parquet(out / "metadata" / "answer_metadata.parquet")
    assert len(answers) == report.answers
    for sid, stored in demo_release["stored_qa"].items():
        assert stored == load_qa(out, stored["patient_id"], sid).to_release_json()


def test_image_metadata_carries_the_localization_quality_of_the_scene_graphs(demo_release):
    images = pd.read_parquet(demo_release["out"] / "metadata" / "image_metadata.parquet")
    codes = mapping(demo_release["out"])
    loc = codes[codes["criterion"] == "localization_quality"].set_index("name")["code"]
    for sid, sg in demo_release["graphs"].items():
        for image_id, value in sg.study_img_localization_quality.items():
            row = images.loc[(sg.patient_id, sid, image_id)]
            assert row["image.quality.localization_quality"] == loc[value]
            assert row["image.is_frontal"] == sg.images[image_id].is_frontal


def test_quality_filters_select_what_the_grades_say(demo_release):
    out, report = demo_release["out"], demo_release["report"]
    questions = pd.read_parquet(out / "metadata" / "question_metadata.parquet").reset_index()
    names = mapping(out).query("criterion == 'rating'").set_index("code")["name"]
    assert Counter(questions["question.quality.rating"].map(names)) == report.by_grade
    at_least_a = questions[questions["question.quality.rating"] >= rating_code(out, "A")]
    assert len(at_least_a) == sum(n for g, n in report.by_grade.items() if g in ("A", "A+", "A++"))
    # the rating in the table is the one in the qa.json
    with zipfile.ZipFile(out / "qa.zip") as zf:
        for pid, sid, qid, code in (
            questions[[*QUESTION_KEY, "question.quality.rating"]].head(200).itertuples(index=False)
        ):
            doc = json.loads(zf.read(f"qa/{pid[:3]}/{pid}/{sid}.qa.json"))
            q = next(q for q in doc["questions"] if q["question_id"] == qid)
            assert q["question_quality"]["rating"] == code


def test_the_a_frontal_q1m_subset_reads_as_radharmony_reads_it(demo_release):
    out = demo_release["out"]
    q1m = out / "exports" / "A_frontal" / "metadata" / "q1M"
    q_df = pd.read_parquet(q1m / "question_metadata.parquet").reset_index()
    qi_df = pd.read_parquet(q1m / "question_image_metadata.parquet").reset_index()
    export = pd.read_parquet(
        out / "exports" / "A_frontal" / "metadata" / "question_metadata.parquet"
    )
    assert len(q_df) == min(SUBSET, len(export)) > 0
    assert (q_df["question.quality.rating"] >= rating_code(out, "A")).all()
    assert q_df["question.question_type"].str.match(r"^[A-E]\d*_").all()
    one_image = qi_df.sort_values([*QUESTION_KEY, "image_id"]).drop_duplicates(
        subset=QUESTION_KEY, keep="first"
    )[[*QUESTION_KEY, "image_id"]]
    df = q_df.merge(one_image, on=QUESTION_KEY, how="inner")
    assert len(df) == len(q_df)
    with zipfile.ZipFile(out / "exports" / "A_frontal" / "qa.zip") as zf:
        for pid, sid, qid in df[QUESTION_KEY].itertuples(index=False):
            doc = json.loads(zf.read(f"qa/{pid[:3]}/{pid}/{sid}.qa.json"))
            assert any(q["question_id"] == qid for q in doc["questions"])


def test_a_frontal_keeps_grade_a_questions_and_frontal_images_with_its_subsets(demo_release):
    out = demo_release["out"]
    meta = out / "exports" / "A_frontal" / "metadata"
    images = pd.read_parquet(meta / "image_metadata.parquet")
    assert images["image.is_frontal"].all() and set(images["image.view_position"]) <= {"PA", "AP"}
    frontal = set(images.index.get_level_values("image_id"))
    with zipfile.ZipFile(out / "exports" / "A_frontal" / "qa.zip") as zf:
        for name in zf.namelist():
            for q in json.loads(zf.read(name))["questions"]:
                assert q["question_quality"]["rating"] >= rating_code(out, "A")
                for a in walk(q["answers"]):
                    assert set(a["localization"]) <= frontal
    with zipfile.ZipFile(out / "exports" / "A_frontal" / "scene_graph.zip") as zf:
        assert any(n.endswith(".scene_graph.json") for n in zf.namelist())
    app = pd.read_parquet(meta / "App" / "question_metadata.parquet")
    assert (app["question.quality.rating"] == rating_code(out, "A++")).all()
    ap = pd.read_parquet(meta / "Ap" / "question_metadata.parquet")
    assert set(app.index) <= set(ap.index)
    for sub in ("Ap_q1M", "App_q1M"):
        assert len(pd.read_parquet(meta / sub / "question_metadata.parquet")) <= SUBSET
    b = pd.read_parquet(out / "exports" / "B_frontal" / "metadata" / "question_metadata.parquet")
    assert len(b) > len(pd.read_parquet(meta / "question_metadata.parquet"))
    b_q1m = out / "exports" / "B_frontal" / "metadata" / "q1M" / "question_metadata.parquet"
    assert len(pd.read_parquet(b_q1m)) == SUBSET


def test_stats_hold_every_observation_and_answer_and_the_study_aggregates(demo_release):
    stats, report = demo_release["out"] / "stats", demo_release["report"]
    obs = pd.read_csv(stats / "all_obs.csv")
    assert len(obs) == sum(len(sg.all_observations()) for sg in demo_release["graphs"].values())
    assert len(pd.read_csv(stats / "all_ans.csv")) == report.answers
    entities = pd.read_csv(stats / "study_entity_stats.csv").set_index("entity")
    effusion = entities.loc["pleural effusion"]
    assert effusion["num_studies"] >= effusion["num_studies_pos"] > 0
    assert 0 < effusion["pct_studies_pos"] <= 100
    for kind in ("region", "category", "subcategory"):
        assert len(pd.read_csv(stats / f"study_{kind}_stats.csv")) > 0


def test_export_from_files_gives_the_same_export_and_is_seeded(demo_release, tmp_path):
    out = demo_release["out"]
    counts = export_subset(out, "A", out=tmp_path / "A", options=ReleaseOptions(subset_size=SUBSET))
    first = pd.read_parquet(tmp_path / "A" / "metadata" / "question_metadata.parquet")
    original = pd.read_parquet(
        out / "exports" / "A_frontal" / "metadata" / "question_metadata.parquet"
    )
    pd.testing.assert_frame_equal(first, original)
    assert counts.questions == len(first)
    again = export_subset(out, "A", out=tmp_path / "A2", options=ReleaseOptions(subset_size=5))
    other = export_subset(
        out, "A", out=tmp_path / "A3", options=ReleaseOptions(subset_size=5, seed=9)
    )
    pick = [
        set(pd.read_parquet(tmp_path / d / "metadata" / "q1M" / "question_metadata.parquet").index)
        for d in ("A2", "A3")
    ]
    assert again.subsets["q1M"] == other.subsets["q1M"] == 5 and pick[0] != pick[1]


def test_same_graph_and_seed_give_byte_identical_files_with_any_workers(
    demo_release, session_store, tmp_path
):
    out = demo_release["out"]
    again = tmp_path / "again"
    generate_qa(
        session_store,
        None,
        again,
        seed=3,
        workers=2,
        batch_size=5,
        release=ReleaseOptions(subset_size=SUBSET),
    )
    assert_same_files(out, again)


def test_batches_read_ahead_by_a_reader_process_give_byte_identical_files(
    demo_release, session_store, tmp_path
):
    """Batches of 3 demo studies: enough batches that a reader process reads ahead."""
    out = demo_release["out"]
    again = tmp_path / "again"
    studies = len(all_study_ids(session_store))
    assert -(-studies // 3) >= READER_PROCESS_BATCHES
    generate_qa(
        session_store, None, again, seed=3, batch_size=3, release=ReleaseOptions(subset_size=SUBSET)
    )
    assert_same_files(out, again)


def assert_same_files(out: Path, again: Path) -> None:
    files = sorted(
        p.relative_to(out)
        for p in out.rglob("*")
        if p.is_file() and p.suffix in (".zip", ".gz", ".parquet", ".csv", ".json")
    )
    assert len(files) > 100
    for rel in files:
        assert (out / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_the_strict_qba_switch_leaves_out_the_longitudinal_questions(
    demo_release, session_store, tmp_path
):
    assert demo_release["report"].by_type["E01_has_finding_changed"] > 0
    report = generate_qa(
        session_store, None, tmp_path / "strict", release=ReleaseOptions(longitudinal=False)
    )
    questions = pd.read_parquet(tmp_path / "strict" / "metadata" / "question_metadata.parquet")
    assert "longitudinal" not in set(questions["question.question_strategy"])
    left_out = report.by_type["E01_has_finding_changed"] + report.by_type.get(
        "E02_describe_region_change", 0
    )
    assert report.release.left_out_longitudinal == left_out > 0
    assert len(questions) == report.questions - left_out
    assert "left out" in report.summary()
    result = CliRunner().invoke(
        app,
        [
            "qa",
            "export",
            "--from",
            str(demo_release["out"]),
            "--grade",
            "B",
            "--no-longitudinal",
            "--out",
            str(tmp_path / "B"),
        ],
    )
    assert result.exit_code == 0, result.output
    b = pd.read_parquet(tmp_path / "B" / "metadata" / "question_metadata.parquet")
    assert "longitudinal" not in set(b["question.question_strategy"])


# -- the round trip (last: it empties the store) --------------------------------------------------
def test_ingesting_the_release_scene_data_into_a_fresh_graph_gives_back_the_same_graph(
    demo_release, session_store
):
    store = session_store
    store.clear()
    store.setup_schema()
    sync_ontology(store, load_ontology())
    result = CliRunner().invoke(app, ["ingest", "qba", str(demo_release["out"] / "scene_data.zip")])
    assert result.exit_code == 0, result.output
    assert "22 studies loaded" in result.output and "notices" not in result.output
    assert graph_stats(store) == demo_release["counts"]
    for sid, sg in demo_release["graphs"].items():
        assert read_scene_graph(store, sid) == sg, sid


# -- the contract -------------------------------------------------------------------------------
def test_a_qa_json_outside_the_contract_is_refused_naming_file_study_and_field():
    raw = json.dumps(
        {
            "patient_id": "p1",
            "study_id": "s1",
            "questions": [
                {
                    "question_id": "B01_describe_all_000",
                    "question_type": "B01_describe_all",
                    "question_strategy": "abnormal",
                    "question": "Describe the study.",
                    "answers": [{"answer_id": "x7", "answer_type": "main_answer", "text": "ok"}],
                }
            ],
        }
    ).encode()
    with pytest.raises(QAFileError, match=r"f\.qa\.json \(study s1\), field questions\.0\.answers"):
        QADocument.from_bytes(raw, "f.qa.json")


def test_a_release_qa_json_reads_back_into_the_same_record(demo_release):
    doc = load_qa(demo_release["out"], "p10000004", "s50000008")
    again = QADocument.model_validate(doc.to_release_json())
    assert again.to_release_json() == doc.to_release_json()
    assert doc.questions[0].rating in ("A++", "A+", "A", "B", "C", "D")
