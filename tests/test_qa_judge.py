"""The optional LLM judge, run against a local HTTP server that speaks the OpenAI
chat-completions protocol (no real model here): requests, grade caps, retries, unrated."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from cxrkg.ingest.load import load_scene_graphs
from cxrkg.llm import LLMClient
from cxrkg.qa_gen.export import load_qa
from cxrkg.qa_gen.generate import generate_qa
from cxrkg.qa_gen.judge import QAJudge
from tests.llm_server import ChatServer, last_user_message

_spec = importlib.util.spec_from_file_location(
    "qa_studies", Path(__file__).with_name("test_qa_families.py")
)
studies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(studies)


def criterion_of(body: dict[str, Any]) -> str:
    """Which criterion a request judges, read from its system prompt."""
    system = body["messages"][0]["content"]
    for name, marker in (
        ("entailment", "supported by the radiology REPORT"),
        ("relevance", "how\nit relates to the QUESTION"),
        ("completeness", "answers the QUESTION completely"),
        ("question_clarity", "Rate how clear the QUESTION is"),
        ("answer_clarity", "how clearly it is"),
    ):
        if marker in system:
            return name
    raise AssertionError("unknown judge prompt")


def n_answers(body: dict[str, Any]) -> int:
    return len(re.findall(r"^\[\d+\]", last_user_message(body), flags=re.M))


def reply(body: dict[str, Any], per_answer: dict[str, str], per_question: dict[str, str]) -> str:
    crit = criterion_of(body)
    if crit in per_question:
        return json.dumps({"option": per_question[crit]})
    return json.dumps(
        {"ratings": [{"id": i, "option": per_answer[crit]} for i in range(1, n_answers(body) + 1)]}
    )


BEST_A = {
    "entailment": "ALIGNED_MENTIONED",
    "relevance": "RELEVANT_MAIN_ANSWER",
    "answer_clarity": "OPTIMAL",
}
BEST_Q = {"completeness": "FULLY_COMPLETE", "question_clarity": "OPTIMAL"}


@pytest.fixture()
def normal_study(store):  # noqa: ANN001, ANN201
    load_scene_graphs(store, [studies.study_s3()], progress=False)
    return store


def judge_for(server: ChatServer, tmp_path: Path, retries: int = 1) -> QAJudge:
    client = LLMClient(
        base_url=server.base_url,
        model="judge",
        retries=0,
        use_cache=False,
        cache_dir=tmp_path / "llm",
        max_workers=2,
    )
    return QAJudge(client, retries=retries)


def test_judge_sends_each_criterion_with_its_context_and_keeps_good_grades(normal_study, tmp_path):
    with ChatServer(lambda b: reply(b, BEST_A, BEST_Q)) as server:
        judge = judge_for(server, tmp_path)
        report = generate_qa(normal_study, ["s50000003"], judge=judge)
        bodies = list(server.requests)
    assert len(bodies) == 5 * report.questions
    entail = next(b for b in bodies if criterion_of(b) == "entailment")
    assert "REPORT: FINDINGS: There is no focal consolidation." in last_user_message(entail)
    assert entail["response_format"]["json_schema"]["schema"]["properties"]["ratings"]
    clarity = next(b for b in bodies if criterion_of(b) == "question_clarity")
    assert "SUB-ANSWERS" not in last_user_message(clarity)
    assert report.by_grade == {"A++": report.questions}
    assert judge.judged == report.questions and judge.failed == 0


def test_contradicting_entailment_rates_the_question_d(normal_study, tmp_path):
    per_answer = {**BEST_A, "entailment": "NON_ALIGNED_CONTRADICTING"}
    with ChatServer(lambda b: reply(b, per_answer, BEST_Q)) as server:
        item_store = normal_study
        report = generate_qa(item_store, ["s50000003"], judge=judge_for(server, tmp_path))
    assert report.by_grade == {"D": report.questions}


def test_relevance_caps_depend_on_the_answer_type(
    normal_study,
    tmp_path,
):
    # RELATED_INFO is fine for related information but caps a main answer or details at A+
    per_answer = {**BEST_A, "relevance": "RELATED_INFO"}
    from cxrkg.qa_gen.generate import generate_batch

    items = generate_batch(normal_study, ["s50000003"])
    with ChatServer(lambda b: reply(b, per_answer, BEST_Q)) as server:
        judge_for(server, tmp_path)(items[0], normal_study)
    for q in items[0].questions:
        assert q.question_quality["rating"] == "A+"
        assert q.question_quality["extraction_rating"] == "A++"
        for a in q.all_answers():
            assert a.answer_quality["relevance"] == "RELATED_INFO"


def test_unusable_replies_are_retried_and_then_rated_unrated(normal_study, tmp_path):
    seen: set[str] = set()
    broken = {"n": 0}

    def flaky(body: dict[str, Any]) -> str:
        key = criterion_of(body) + last_user_message(body)
        first = key not in seen
        seen.add(key)
        if criterion_of(body) == "completeness" and "QUESTION: Describe" in last_user_message(body):
            return "I think it is complete."  # never JSON
        if first and len(key) % 3 == 0:
            broken["n"] += 1
            return "{broken"  # the first reply to some requests is broken; the retry works
        return reply(body, BEST_A, BEST_Q)

    with ChatServer(flaky) as server:
        judge = judge_for(server, tmp_path, retries=2)
        report = generate_qa(normal_study, ["s50000003"], tmp_path / "out", judge=judge)
    unrated = report.by_grade.get("unrated", 0)
    doc = load_qa(tmp_path / "out", "p10000003", "s50000003")
    failed = [q for q in doc.questions if q.rating == "unrated"]
    described = [q for q in doc.questions if q.question.startswith("Describe")]
    assert failed == described and len(failed) == unrated == judge.failed > 0
    assert "completeness" in failed[0].question_quality["judge_error"]
    # the other questions got through, broken replies included, thanks to the retries
    assert broken["n"] > 0
    assert report.by_grade["A++"] == report.questions - unrated
    # unrated questions are kept out of the graded exports
    from cxrkg.qa_gen.export import export_subset

    counts = export_subset(tmp_path / "out", grade="B")
    assert counts.questions == report.questions - unrated
