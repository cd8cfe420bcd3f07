"""The contract of the QA files: one study's `sxxxxxxxx.qa.json` (`QADocument`), its
questions and their answer trees, as pydantic models (what `SceneGraph` is for scene graphs).

Generation validates what the question families build into these models; export, the graph
writer and the app read and write nothing else. Inside cxrkg quality values are option names
under the seed's short keys (`issue_level: "NO_ISSUES"`, ratings `"A++"`); `to_release_json()`
writes what the real release holds (the real key names, raw integer codes that
`quality_mappings.csv` names), and validation reads either form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cxrkg.ontology.values import quality_code, quality_name, read_quality, release_quality

LOC = "localization_quality"
AnswerType = Literal["main_answer", "details", "related_information"]


def question_id(question_type: str, n: int) -> str:
    """`<question_type>_<NNN>`, unique within a study (QBA's own ids look the same)."""
    return f"{question_type}_{n:03d}"


def _quality_record(value: Any) -> Any:
    return read_quality(value) if isinstance(value, dict) else value


class _Record(BaseModel):
    # Fields a real file adds are kept (and written back); generation checks it adds none.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class AnswerLocalization(_Record):
    """Boxes of one answer on one image, (x1, y1, x2, y2) in pixels."""

    image_id: str
    localization_reference_ids: list[str] = Field(default_factory=list)
    bboxes: list[list[float]] = Field(default_factory=list)
    instance_mask_ids: list[str] = Field(default_factory=list)
    missing_localization: list[str] = Field(default_factory=list)
    is_fallback: bool = False
    localization_quality: str | None = None

    @field_validator(LOC, mode="before")
    @classmethod
    def _quality_name(cls, value: Any) -> Any:
        return quality_name(LOC, value)

    @field_validator("bboxes")
    @classmethod
    def _four_numbers(cls, boxes: list[list[float]]) -> list[list[float]]:
        for box in boxes:
            if len(box) != 4:
                raise ValueError(f"box {box} is not (x1, y1, x2, y2)")
        return boxes


class Answer(_Record):
    """One (sub-)answer: its text, tags, boxes per image and quality."""

    answer_id: int
    answer_type: AnswerType
    answer_level: int = 0
    text: str
    name_tag: str = ""
    laterality: str | None = None
    regions: list[str] = Field(default_factory=list)
    obs_entities: list[str] = Field(default_factory=list)
    obs_entities_parents: list[str] = Field(default_factory=list)
    obs_categories: list[str] = Field(default_factory=list)
    obs_subcategories: list[str] = Field(default_factory=list)
    certainty: str | None = None
    positiveness: str | None = None
    modifiers: list[list[str]] = Field(default_factory=list)  # [[type, value], ...]
    localization: dict[str, AnswerLocalization] = Field(default_factory=dict)
    sub_answers: list[Answer] = Field(default_factory=list)
    from_report: bool = False
    extraction_quality: dict[str, Any] = Field(default_factory=dict)
    answer_quality: dict[str, Any] = Field(default_factory=dict)
    # Where the answer came from; cxrkg's own, never written to the release files.
    source_obs_id: str | None = Field(None, alias="_obs_id")
    source_study_id: str | None = Field(None, alias="_study_id")

    quality_names = field_validator("extraction_quality", "answer_quality", mode="before")(
        _quality_record
    )

    def walk(self) -> Iterator[Answer]:
        """This answer, then its sub-answers (depth first, parents before children)."""
        yield self
        for sub in self.sub_answers:
            yield from sub.walk()

    @property
    def rating(self) -> str | None:
        return self.answer_quality.get("rating")


class Question(_Record):
    """One question with its answer tree, in the seed's field order."""

    question_id: str
    question_type: str
    question_strategy: str
    variables: dict[str, Any] = Field(default_factory=dict)
    obs_ids: list[str] = Field(default_factory=list)
    contains_report_answers: bool = False
    contains_template_answers: bool = False
    extraction_quality: dict[str, Any] = Field(default_factory=dict)
    question_img_localization_quality: dict[str, str | None] = Field(default_factory=dict)
    question: str
    answers: list[Answer]
    question_quality: dict[str, Any] = Field(default_factory=dict)

    quality_names = field_validator("extraction_quality", "question_quality", mode="before")(
        _quality_record
    )

    @field_validator("question_img_localization_quality", mode="before")
    @classmethod
    def _image_quality(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: quality_name(LOC, v) for k, v in value.items()}
        return value

    @field_validator("question_id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not value:
            raise ValueError("a question needs its question_id")
        return value

    @model_validator(mode="after")
    def _has_main_answer(self) -> Question:
        if not any(a.answer_type == "main_answer" for a in self.answers):
            raise ValueError(f"question {self.question_id} has no main answer")
        return self

    def all_answers(self) -> list[Answer]:
        """Every answer of the tree, parents before children (depth first)."""
        out: list[Answer] = []
        stack = list(reversed(self.answers))
        while stack:
            answer = stack.pop()
            out.append(answer)
            stack.extend(reversed(answer.sub_answers))
        return out

    @property
    def rating(self) -> str | None:
        return self.question_quality.get("rating")

    def unknown_fields(self, answers: list[Answer] | None = None) -> list[str]:
        """Fields outside the contract, at any level (generation adds none); `answers` is
        `all_answers()` when the caller has it already."""
        out = [f"question.{k}" for k in self.model_extra or {}]
        for a in self.all_answers() if answers is None else answers:
            out += [f"answer {a.answer_id}.{k}" for k in a.model_extra or {}]
            for image_id, loc in a.localization.items():
                out += [
                    f"answer {a.answer_id}.localization.{image_id}.{k}"
                    for k in loc.model_extra or {}
                ]
        return out

    def to_release_json(self) -> dict[str, Any]:
        """The question as the real release writes it (real quality keys, raw codes)."""
        data = self.model_dump(mode="json")
        data["extraction_quality"] = release_quality(data["extraction_quality"])
        data["question_img_localization_quality"] = {
            k: quality_code(LOC, v) for k, v in data["question_img_localization_quality"].items()
        }
        data["question_quality"] = release_quality(data["question_quality"])
        for answer in data["answers"]:
            _release_answer(answer)
        return data


def _release_answer(data: dict[str, Any]) -> None:
    data.pop("source_obs_id", None)
    data.pop("source_study_id", None)
    data["extraction_quality"] = release_quality(data["extraction_quality"])
    data["answer_quality"] = release_quality(data["answer_quality"])
    for loc in data["localization"].values():
        loc[LOC] = quality_code(LOC, loc.get(LOC))
    for sub in data["sub_answers"]:
        _release_answer(sub)


class QADocument(_Record):
    """One study's `sxxxxxxxx.qa.json`."""

    patient_id: str
    study_id: str
    questions: list[Question] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids_unique_in_study(self) -> QADocument:
        seen: set[str] = set()
        answers: set[int] = set()
        for q in self.questions:
            if q.question_id in seen:
                raise ValueError(f"question_id {q.question_id} appears twice in {self.study_id}")
            seen.add(q.question_id)
            for a in q.all_answers():
                if a.answer_id in answers:
                    raise ValueError(
                        f"answer_id {a.answer_id} appears twice in {self.study_id}"
                        f" (question {q.question_id})"
                    )
                answers.add(a.answer_id)
        return self

    def to_release_json(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "study_id": self.study_id,
            **(self.model_extra or {}),
            "questions": [q.to_release_json() for q in self.questions],
        }

    def to_bytes(self) -> bytes:
        """The file's bytes (compact UTF-8 JSON: byte-identical for equal input)."""
        return release_bytes(self.to_release_json())

    @classmethod
    def from_bytes(cls, raw: bytes, origin: str) -> QADocument:
        """Parse and validate one qa.json; QAFileError names the file and the field."""
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise QAFileError(f"{origin}: not a JSON qa.json file ({exc})") from exc
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            study = data.get("study_id") if isinstance(data, dict) else None
            raise QAFileError(
                f"{origin}{f' (study {study})' if study else ''}, field {loc or '?'}:"
                f" {first.get('msg', exc)}"
            ) from exc


def release_bytes(data: dict[str, Any]) -> bytes:
    """A release JSON file's bytes: compact (json's C encoder; an indent would take the
    pure-Python one, several times slower on millions of answers), UTF-8."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


class QAFileError(ValueError):
    """A qa.json file that does not fit the contract (names file, study and field)."""
