"""Optional LLM-judged QA quality (seed section 3a): entailment, relevance, completeness,
question clarity and answer clarity, through an OpenAI-compatible endpoint (vLLM).

Off by default (`cxrkg qa generate --judge`). Each criterion is judged in its own request,
with its own few-shot prompt from `prompts/judge_<criterion>.md` and a JSON schema whose enum
is the seed's options. A question whose judgement still fails after the retries is rated
`unrated`. Tested against a local chat-completions server; not yet run against a real model.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from cxrkg.config import Settings
from cxrkg.llm import LLMClient, LLMError
from cxrkg.ontology.values import QA_CRITERIA, UNRATED
from cxrkg.qa_gen.grading import grade_question
from cxrkg.qa_gen.model import Answer, Question

if TYPE_CHECKING:
    from cxrkg.cypher.store import GraphStore
    from cxrkg.qa_gen.generate import StudyQA

PER_ANSWER = ("entailment", "relevance", "answer_clarity")
PER_QUESTION = ("completeness", "question_clarity")


@cache
def prompt(criterion: str) -> str:
    path = resources.files("cxrkg.qa_gen") / "prompts" / f"judge_{criterion}.md"
    return path.read_text(encoding="utf-8")


def schema(criterion: str, n_answers: int) -> dict[str, Any]:
    options = [o.name for o in QA_CRITERIA[criterion]]
    if criterion in PER_QUESTION:
        return {
            "type": "object",
            "properties": {"option": {"enum": options}},
            "required": ["option"],
            "additionalProperties": False,
        }
    item = {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "minimum": 1, "maximum": n_answers},
            "option": {"enum": options},
        },
        "required": ["id", "option"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"ratings": {"type": "array", "items": item, "minItems": n_answers}},
        "required": ["ratings"],
        "additionalProperties": False,
    }


def _answers_block(answers: list[Answer]) -> str:
    return "\n".join(f"[{i}] ({a.answer_type}) {a.text}" for i, a in enumerate(answers, 1))


def messages(criterion: str, question: Question, report: str) -> list[dict[str, str]]:
    answers = question.all_answers()
    parts = []
    if criterion == "entailment":
        parts.append(f"REPORT: {report or '(no report text)'}")
    if criterion != "answer_clarity":
        parts.append(f"QUESTION: {question.question}")
    if criterion == "completeness":
        parts.append("FULL ANSWER:\n" + _answers_block(answers))
    elif criterion != "question_clarity":
        parts.append("SUB-ANSWERS:\n" + _answers_block(answers))
    return [
        {"role": "system", "content": prompt(criterion)},
        {"role": "user", "content": "\n".join(parts)},
    ]


def read_reports(store: GraphStore, study_ids: list[str]) -> dict[str, str]:
    """Each study's report as `SECTION: sentence ...` in sentence order."""
    by_study: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in store.run_named("qa/report_text", {"study_ids": study_ids}, read_only=True):
        by_study[row["study_id"]].append(
            (row["sent_id"] or "", row["section"] or "", row["text"] or "")
        )
    out = {}
    for sid, rows in by_study.items():
        lines, section = [], None
        for _, sec, text in sorted(rows):
            lines.append(f"{sec}: {text}" if sec != section else text)
            section = sec
        out[sid] = " ".join(lines)
    return out


class QAJudge:
    """Call with a StudyQA and the store: fills `answer_quality` / `question_quality` with the
    judged options and re-grades each question (or rates it `unrated`)."""

    def __init__(self, client: LLMClient, retries: int = 2):
        self.client = client
        self.retries = retries
        self.failed = 0
        self.judged = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> QAJudge:
        return cls(LLMClient(settings), retries=settings.llm_retries)

    def _ask(self, requests: list[tuple[list[dict[str, str]], dict[str, Any]]]) -> list[Any]:
        """`map_json`, asking again (uncached) for items whose reply was unusable."""
        results = self.client.map_json(requests)
        for _ in range(self.retries):
            todo = [i for i, r in enumerate(results) if isinstance(r, LLMError)]
            if not todo:
                break
            again = self.client.map_json([requests[i] for i in todo])
            for i, r in zip(todo, again, strict=True):
                results[i] = r
        return results

    def __call__(self, item: StudyQA, store: GraphStore) -> None:
        sd = item.study
        report = read_reports(store, [sd.study_id]).get(sd.study_id, "")
        criteria = PER_ANSWER + PER_QUESTION
        requests, index = [], []
        for qi, q in enumerate(item.questions):
            n = len(q.all_answers())
            for criterion in criteria:
                requests.append((messages(criterion, q, report), schema(criterion, n)))
                index.append((qi, criterion))
        results = self._ask(requests)
        by_question: dict[int, dict[str, Any]] = defaultdict(dict)
        for (qi, criterion), result in zip(index, results, strict=True):
            by_question[qi][criterion] = result
        for qi, q in enumerate(item.questions):
            self._apply(q, by_question[qi], sd.quality)

    def _apply(self, q: Question, results: dict[str, Any], study_quality: dict[str, Any]) -> None:
        answers = q.all_answers()
        errors = [f"{c}: {r}" for c, r in results.items() if isinstance(r, LLMError)]
        per_answer: dict[str, dict[int, str]] = {}
        for criterion in PER_ANSWER:
            result = results.get(criterion)
            if isinstance(result, LLMError) or result is None:
                continue
            got = {r["id"]: r["option"] for r in result["ratings"]}
            if set(got) != set(range(1, len(answers) + 1)):
                errors.append(f"{criterion}: rated sub-answers {sorted(got)} of {len(answers)}")
            per_answer[criterion] = got
        if errors:
            self.failed += 1
            q.question_quality["rating"] = UNRATED
            q.question_quality["judge_error"] = "; ".join(errors)[:500]
            return
        for i, ans in enumerate(answers, 1):
            for criterion in PER_ANSWER:
                ans.answer_quality[criterion] = per_answer[criterion][i]
        for criterion in PER_QUESTION:
            q.question_quality[criterion] = results[criterion]["option"]
        grade_question(q, study_quality)
        self.judged += 1
