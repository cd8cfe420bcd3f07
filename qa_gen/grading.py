"""Grades of QA pairs: extraction quality of the scene graph and of every answer (seed
section 3a), optionally capped by LLM-judged QA quality; a pair gets the minimum."""

from __future__ import annotations

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
        return quality_grade(criterion, int(value) if isinstance(value, float) else value)
    except KeyError:
        return "A++"  # a value outside the reference set caps nothing we can name


def extraction_grade(quality: dict[str, Any]) -> str:
    return min_grade([_cap(k, v) for k, v in quality.items() if k in EXTRACTION_CRITERIA])


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
    caps = [extraction_grade(answer.extraction_quality)]
    caps += [
        _cap("localization_quality", loc.localization_quality)
        for loc in answer.localization.values()
    ]
    if judged:
        for criterion, value in answer.answer_quality.items():
            if criterion == "relevance":
                caps.append(relevance_cap(value, answer.answer_type))
            elif criterion in QA_CRITERIA:
                caps.append(_cap(criterion, value))
    return min_grade(caps)


def grade_question(question: Question, study_quality: dict[str, Any]) -> str:
    """Fill the question's extraction quality, localization quality per image and ratings;
    return its rating (minimum over the scene graph and all answers)."""
    answers = question.all_answers()
    grades = [extraction_grade(study_quality)]
    per_image: dict[str, Any] = {}
    for ans in answers:
        grade = answer_grade(ans)
        ans.answer_quality["rating"] = grade
        grades.append(grade)
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
    qq["extraction_rating"] = min_grade(
        [grades[0]] + [answer_grade(a, judged=False) for a in answers]
    )
    qq["rating"] = rating
    return rating
