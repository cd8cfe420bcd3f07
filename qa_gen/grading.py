"""Grades of QA pairs: extraction quality of the scene graph and of every answer (seed
section 3a), optionally capped by LLM-judged QA quality; a pair gets the minimum."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cxrkg.ontology.values import (
    EXTRACTION_CRITERIA,
    QA_CRITERIA,
    grade_rank,
    min_grade,
    quality_grade,
    relevance_cap,
)
from cxrkg.qa_gen.model import Answer, Question


def _cap(criterion: str, value: Any) -> str:
    try:
        return _known_cap(criterion, value)
    except TypeError:  # an unhashable value: look it up without the cache
        return _known_cap.__wrapped__(criterion, value)


@lru_cache(maxsize=1024)
def _known_cap(criterion: str, value: Any) -> str:
    # A study grades hundreds of answers over a handful of distinct (criterion, value) pairs.
    try:
        return quality_grade(criterion, int(value) if isinstance(value, float) else value)
    except KeyError:
        return "A++"  # a value outside the reference set caps nothing we can name


def extraction_grade(quality: dict[str, Any]) -> str:
    try:
        return _extraction_grade(tuple(quality.items()))
    except TypeError:
        return _extraction_grade.__wrapped__(tuple(quality.items()))


@lru_cache(maxsize=1024)
def _extraction_grade(items: tuple[tuple[str, Any], ...]) -> str:
    return min_grade([_cap(k, v) for k, v in items if k in EXTRACTION_CRITERIA])


def worst_quality(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per criterion, the value with the lowest grade cap over all records."""
    out: dict[str, Any] = {}
    for rec in records:
        for k, v in rec.items():
            if v is None or k not in EXTRACTION_CRITERIA:
                continue
            if k not in out or grade_rank(_cap(k, v)) < grade_rank(_cap(k, out[k])):
                out[k] = v
    return dict(sorted(out.items()))


def answer_grade(answer: Answer, judged: bool = True) -> str:
    """Grade of one answer: its observation's extraction quality and its images' boxes, and
    (when `judged`) the LLM-judged criteria in its `answer_quality`."""
    extracted, with_judged = _answer_grades(answer)
    return with_judged if judged else extracted


def _answer_grades(answer: Answer) -> tuple[str, str]:
    """(extraction and boxes only, with the judged criteria too)."""
    caps = [extraction_grade(answer.extraction_quality)]
    caps += [
        _cap("localization_quality", loc.localization_quality)
        for loc in answer.localization.values()
    ]
    extracted = min_grade(caps)
    for criterion, value in answer.answer_quality.items():
        if criterion == "relevance":
            caps.append(relevance_cap(value, answer.answer_type))
        elif criterion in QA_CRITERIA:
            caps.append(_cap(criterion, value))
    return extracted, min_grade(caps)


def grade_question(
    question: Question, study_quality: dict[str, Any], answers: list[Answer] | None = None
) -> str:
    """Fill the question's extraction quality, localization quality per image and ratings;
    return its rating (minimum over the scene graph and all answers; `answers` is
    `question.all_answers()` when the caller has it already)."""
    answers = question.all_answers() if answers is None else answers
    grades = [extraction_grade(study_quality)]
    per_image: dict[str, Any] = {}
    extracted: list[str] = []
    for ans in answers:
        unjudged, grade = _answer_grades(ans)
        ans.answer_quality["rating"] = grade
        grades.append(grade)
        extracted.append(unjudged)
        for image_id, loc in ans.localization.items():
            value = loc.localization_quality
            if value is None:
                per_image.setdefault(image_id, None)
            elif per_image.get(image_id) is None or grade_rank(
                _cap("localization_quality", value)
            ) < grade_rank(_cap("localization_quality", per_image[image_id])):
                per_image[image_id] = value
    question.extraction_quality = worst_quality(
        [study_quality] + [a.extraction_quality for a in answers]
    )
    question.question_img_localization_quality = dict(sorted(per_image.items()))
    qq = question.question_quality
    for criterion in ("question_clarity", "completeness"):
        if criterion in qq:
            grades.append(_cap(criterion, qq[criterion]))
    rating = min_grade(grades)
    qq["extraction_rating"] = min_grade([grades[0], *extracted])
    qq["rating"] = rating
    return rating
