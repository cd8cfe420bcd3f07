"""`cxrkg eval qa`: generated yes/no answers scored against reference study labels.

Three small real-wording reports go through the whole pipeline into the store; a reference
CSV gives their labels. The audit must agree where the answers are right, count a
contradiction where the reference says otherwise, and leave alone what it cannot decide."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxrkg.ingest.evaluate import NORMAL, Reference
from cxrkg.ingest.extract.pipeline import ReportInput, ReportPipeline
from cxrkg.ingest.load import load_scene_graphs
from cxrkg.ontology import load_ontology
from cxrkg.qa_gen.audit import ReferenceJudge, audit_qa

REPORTS = {
    # IU wording, normal
    "s1": "FINDINGS: The heart is normal in size. The mediastinum is unremarkable. The lungs"
    " are clear. IMPRESSION: No acute cardiopulmonary abnormality.",
    # IU wording, cardiomegaly and a line
    "s2": "FINDINGS: Heart size is mildly enlarged. A right PICC is in place with tip in the"
    " SVC. No pneumothorax. The lungs are clear.",
    # a normal report the reference (wrongly, for the test) calls abnormal
    "s3": "FINDINGS: Heart size is normal. Lungs clear. No pleural effusion.",
}


@pytest.fixture()
def audited_store(store, tmp_path: Path):  # noqa: ANN001, ANN201
    pipeline = ReportPipeline(load_ontology(), use_embeddings=False)
    graphs = [
        pipeline.build(ReportInput(file=f"{sid}.txt", study_id=sid, patient_id=f"p{sid}", text=t))
        for sid, t in REPORTS.items()
    ]
    report = load_scene_graphs(store, graphs, progress=False)
    assert len(report.loaded) == 3
    ref = tmp_path / "labels.csv"
    ref.write_text("study_id,label\ns1,No Finding\ns2,Cardiomegaly\ns2,PICC\ns3,Pneumonia\n")
    return store, ref


def test_audit_agrees_with_a_right_answer_and_counts_a_contradiction(audited_store) -> None:  # noqa: ANN001
    store, ref = audited_store
    audit = audit_qa(store, ref, examples=5)
    assert audit.studies == 3
    b03 = audit.by_type["B03_is_abnormal"]
    assert (b03.scored, b03.agree) == (3, 2)  # s3's reference disagrees with its report
    (example,) = audit.examples["B03_is_abnormal"]
    assert example.study_id == "s3" and example.reference == "yes"
    assert example.answer.startswith("No")
    assert any("Heart size is normal." in s for s in example.sentences)
    t = audit.targets()
    assert t["reference_normal_studies"] == 1 and t["B03_yes_on_normal"] == 0
    assert t["B04_yes_on_normal"] == 1
    assert t["reference_device_studies"] == 1 and t["B13_yes_on_device_studies"] == 1
    assert t["D_questions_on_generic_findings"] == 0


def test_audit_reads_a_written_release(audited_store, tmp_path: Path) -> None:  # noqa: ANN001
    from cxrkg.qa_gen.generate import generate_qa

    store, ref = audited_store
    out = tmp_path / "release"
    generate_qa(store, None, out)
    from_files = audit_qa(store, ref, qa_dir=out)
    in_memory = audit_qa(store, ref)
    assert json.dumps(from_files.to_json()["by_type"], sort_keys=True) == json.dumps(
        in_memory.to_json()["by_type"], sort_keys=True
    )


def test_cli_eval_qa_prints_the_targets_and_exits_cleanly_on_a_bad_reference(
    audited_store, tmp_path: Path
) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from cxrkg.app.cli import app

    _, ref = audited_store
    result = CliRunner().invoke(app, ["eval", "qa", "--reference", str(ref), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.splitlines()[-1])
    assert data["targets"]["reference_normal_studies"] == 1
    bad = CliRunner().invoke(app, ["eval", "qa", "--reference", str(tmp_path / "nope.csv")])
    assert bad.exit_code == 2 and "no such reference" in bad.output
    # a qa.json that does not fit the contract (an older release's string answer ids)
    folder = tmp_path / "old" / "qa" / "p10" / "p1"
    folder.mkdir(parents=True)
    doc = {
        "study_id": "s1",
        "questions": [{"question_id": "B01_000", "answers": [{"answer_id": "x"}]}],
    }
    (folder / "s1.qa.json").write_text(json.dumps(doc))
    old = CliRunner().invoke(
        app, ["eval", "qa", "--reference", str(ref), "--from", str(tmp_path / "old")]
    )
    assert old.exit_code == 2, old.output
    said = old.output.replace("\n", "")
    assert "s1.qa.json (study s1), field" in said and "Traceback" not in said


@pytest.fixture(scope="module")
def judge() -> ReferenceJudge:
    ref = Reference(
        "test",
        labels={
            "normal": {NORMAL},
            "effusion": {"pleural effusion"},
            "opacity": {"lung opacity"},
            "clips": {"surgical material"},
        },
        locations={"effusion": {"pleural effusion": {"left pleural space"}}},
    )
    return ReferenceJudge(load_ontology(), ref)


@pytest.mark.parametrize(
    ("study", "qtype", "variables", "expected"),
    [
        ("normal", "B03_is_abnormal", {}, "no"),
        ("normal", "C03_is_abnormal_region", {"region": "heart"}, "no"),
        ("normal", "D02_has_finding", {"finding": "pneumonia"}, "no"),
        ("effusion", "B03_is_abnormal", {}, "yes"),
        # located by the reference: the left pleural space, and what holds it
        ("effusion", "C03_is_abnormal_region", {"region": "left pleural space"}, "yes"),
        ("effusion", "C03_is_abnormal_region", {"region": "pleural space"}, "yes"),
        ("effusion", "C03_is_abnormal_region", {"region": "heart"}, "no"),
        ("effusion", "D02_has_finding", {"finding": "pleural effusion"}, "yes"),
        ("effusion", "D02_has_finding", {"finding": "cardiomegaly"}, "no"),
        # a broad label does not say which narrower finding it is
        ("opacity", "D02_has_finding", {"finding": "pneumonia"}, None),
        ("opacity", "D02_has_finding", {"finding": "lung opacity"}, "yes"),
        ("clips", "D06_has_device", {"finding": "surgical clips"}, None),
        ("clips", "D06_has_device", {"finding": "surgical material"}, "yes"),
        # never judged: generic findings and unknown studies
        ("normal", "D02_has_finding", {"finding": "abnormal"}, None),
        ("unknown", "B03_is_abnormal", {}, None),
    ],
)
def test_reference_judge_decides_only_what_the_labels_say(
    judge: ReferenceJudge, study: str, qtype: str, variables: dict, expected: str | None
) -> None:
    assert judge.judge(study, qtype, variables) == expected
