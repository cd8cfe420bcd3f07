"""The release's seven metadata tables: rows from a study's scene graph and qa.json, and
their files (`.csv.gz` with the index columns first, `.parquet` with the ids as its index).

Columns are `<level>.<field>` with quality nested (`question.quality.rating`,
`answer_img.quality.localization_quality`), as public readers of the real release expect;
quality values and ratings are raw integer codes (`quality_mappings.csv` names them).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from cxrkg.ingest.model import SceneGraph
from cxrkg.ontology.values import (
    EXTRACTION_CRITERIA,
    QA_CRITERIA,
    grade_of,
    quality_code,
    rating_code,
    release_key,
)
from cxrkg.qa_gen.model import QADocument

LOC = "localization_quality"
EXTRACTION_KEYS = [release_key(c) for c in EXTRACTION_CRITERIA]
QA_KEYS = list(QA_CRITERIA)

INDEX: dict[str, list[str]] = {
    "patient_metadata": ["patient_id"],
    "study_metadata": ["patient_id", "study_id"],
    "image_metadata": ["patient_id", "study_id", "image_id"],
    "question_metadata": ["patient_id", "study_id", "question_id"],
    "question_image_metadata": ["patient_id", "study_id", "question_id", "image_id"],
    "answer_metadata": ["patient_id", "study_id", "question_id", "answer_id"],
    "answer_image_metadata": ["patient_id", "study_id", "question_id", "answer_id", "image_id"],
}
TABLES = tuple(INDEX)
QUESTION_TABLES = (
    "question_metadata",
    "question_image_metadata",
    "answer_metadata",
    "answer_image_metadata",
)
COLUMNS: dict[str, list[str]] = {
    "patient_metadata": ["patient.total_studies", "patient.total_study_timespan"],
    "study_metadata": [
        "study.quality.rating",
        *[f"study.quality.{k}" for k in EXTRACTION_KEYS],
        "study.num_observations",
        "study.num_images",
        "study.num_frontal_images",
        "study.num_questions",
        "study.procedure",
        "study.split",
        "study.study_order",
        "study.timestamp_since_first",
        "study.timespan_since_prev",
    ],
    "image_metadata": [
        "image.view_position",
        "image.patient_orientation",
        "image.size",
        "image.width",
        "image.height",
        "image.is_frontal",
        "image.quality.localization_quality",
    ],
    "question_metadata": [
        "question.question_type",
        "question.question_strategy",
        "question.quality.rating",
        "question.quality.extraction_rating",
        *[f"question.quality.{k}" for k in EXTRACTION_KEYS],
        "question.quality.question_clarity",
        "question.quality.completeness",
        "question.contains_report_answers",
        "question.contains_template_answers",
        "question.num_answers",
        "question.num_obs",
    ],
    "question_image_metadata": [
        "question_img.is_frontal",
        "question_img.quality.localization_quality",
    ],
    "answer_metadata": [
        "answer.answer_type",
        "answer.answer_level",
        "answer.parent_answer_id",
        "answer.from_report",
        "answer.positiveness",
        "answer.certainty",
        "answer.num_sub_answers",
        "answer.quality.rating",
        *[f"answer.quality.{k}" for k in EXTRACTION_KEYS],
        *[f"answer.quality.{k}" for k in ("entailment", "relevance", "answer_clarity")],
    ],
    "answer_image_metadata": [
        "answer_img.num_regions",
        "answer_img.num_bboxes",
        "answer_img.quality.localization_quality",
    ],
}
# Integer columns that may be empty (pandas' nullable Int64, so parquet keeps them integers).
_NULLABLE_INT = {
    c
    for cols in COLUMNS.values()
    for c in cols
    if ".quality." in c or c in ("answer.parent_answer_id", "study.study_order")
}


def study_images(sg: SceneGraph) -> list[str]:
    """Every image of the study: those it declares and those its boxes are drawn on."""
    ids = set(sg.images)
    for holder in [*sg.all_observations().values(), *sg.regions.values()]:
        ids.update(holder.localization)
    return sorted(ids)


def frontal_images(sg: SceneGraph) -> set[str]:
    return {i for i, img in sg.images.items() if img.is_frontal}


def _code(criterion: str, value: Any) -> int | None:
    return quality_code(criterion, value)


def study_rows(
    sg: SceneGraph, doc: QADocument, images: list[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The study's rows of every table but patient_metadata (`images`: the images kept)."""
    pid, sid = sg.patient_id, sg.study_id
    images = study_images(sg) if images is None else images
    frontal = frontal_images(sg)
    meta = sg.metadata
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    study: dict[str, Any] = {
        "patient_id": pid,
        "study_id": sid,
        "study.quality.rating": rating_code(grade_of(sg.study_quality)),
        "study.num_observations": len(sg.observations),
        "study.num_images": len(images),
        "study.num_frontal_images": len([i for i in images if i in frontal]),
        "study.num_questions": len(doc.questions),
        "study.procedure": meta.procedure if meta else None,
        "study.split": sg.split if sg.split is not None else (meta.split if meta else None),
        "study.study_order": sg.study_order,
        "study.timestamp_since_first": meta.timestamp_since_first if meta else None,
        "study.timespan_since_prev": meta.timespan_since_prev if meta else None,
    }
    for criterion in EXTRACTION_CRITERIA:
        study[f"study.quality.{release_key(criterion)}"] = _code(
            criterion, sg.study_quality.get(criterion)
        )
    rows["study_metadata"].append(study)
    for image_id in images:
        img = sg.images.get(image_id)
        quality = sg.study_img_localization_quality.get(image_id) or (
            img.localization_quality if img else None
        )
        size = [img.width, img.height] if img and img.width and img.height else None
        rows["image_metadata"].append(
            {
                "patient_id": pid,
                "study_id": sid,
                "image_id": image_id,
                "image.view_position": img.view_position if img else None,
                "image.patient_orientation": img.patient_orientation if img else None,
                "image.size": size,
                "image.width": img.width if img else None,
                "image.height": img.height if img else None,
                "image.is_frontal": image_id in frontal,
                "image.quality.localization_quality": _code(LOC, quality),
            }
        )
    for q in doc.questions:
        key = {"patient_id": pid, "study_id": sid, "question_id": q.question_id}
        answers = q.all_answers()
        qq = q.question_quality
        row = {
            **key,
            "question.question_type": q.question_type,
            "question.question_strategy": q.question_strategy,
            "question.quality.rating": rating_code(qq.get("rating")),
            "question.quality.extraction_rating": rating_code(qq.get("extraction_rating")),
            "question.quality.question_clarity": _code(
                "question_clarity", qq.get("question_clarity")
            ),
            "question.quality.completeness": _code("completeness", qq.get("completeness")),
            "question.contains_report_answers": q.contains_report_answers,
            "question.contains_template_answers": q.contains_template_answers,
            "question.num_answers": len(answers),
            "question.num_obs": len(q.obs_ids),
        }
        for criterion in EXTRACTION_CRITERIA:
            row[f"question.quality.{release_key(criterion)}"] = _code(
                criterion, q.extraction_quality.get(criterion)
            )
        rows["question_metadata"].append(row)
        for image_id in images:  # every image of the study, as QBA lists them
            rows["question_image_metadata"].append(
                {
                    **key,
                    "image_id": image_id,
                    "question_img.is_frontal": image_id in frontal,
                    "question_img.quality.localization_quality": _code(
                        LOC, q.question_img_localization_quality.get(image_id)
                    ),
                }
            )
        parents = {s.answer_id: a.answer_id for a in answers for s in a.sub_answers}
        for ans in answers:
            aq = ans.answer_quality
            arow = {
                **key,
                "answer_id": ans.answer_id,
                "answer.answer_type": ans.answer_type,
                "answer.answer_level": ans.answer_level,
                "answer.parent_answer_id": parents.get(ans.answer_id),
                "answer.from_report": ans.from_report,
                "answer.positiveness": ans.positiveness,
                "answer.certainty": ans.certainty,
                "answer.num_sub_answers": len(ans.sub_answers),
                "answer.quality.rating": rating_code(aq.get("rating")),
                "answer.quality.entailment": _code("entailment", aq.get("entailment")),
                "answer.quality.relevance": _code("relevance", aq.get("relevance")),
                "answer.quality.answer_clarity": _code("answer_clarity", aq.get("answer_clarity")),
            }
            for criterion in EXTRACTION_CRITERIA:
                arow[f"answer.quality.{release_key(criterion)}"] = _code(
                    criterion, ans.extraction_quality.get(criterion)
                )
            rows["answer_metadata"].append(arow)
            for image_id in images:
                loc = ans.localization.get(image_id)
                rows["answer_image_metadata"].append(
                    {
                        **key,
                        "answer_id": ans.answer_id,
                        "image_id": image_id,
                        "answer_img.num_regions": len(loc.localization_reference_ids) if loc else 0,
                        "answer_img.num_bboxes": len(loc.bboxes) if loc else 0,
                        "answer_img.quality.localization_quality": _code(
                            LOC, loc.localization_quality if loc else None
                        ),
                    }
                )
    return rows


def patient_rows(studies: pd.DataFrame) -> list[dict[str, Any]]:
    """patient_metadata from the study table: studies per patient and their time span."""
    out = []
    if studies.empty:
        return out
    frame = studies.reset_index()
    for pid, group in frame.groupby("patient_id", sort=True):
        stamps = group["study.timestamp_since_first"].dropna()
        out.append(
            {
                "patient_id": pid,
                "patient.total_studies": len(group),
                "patient.total_study_timespan": (
                    float(stamps.max() - stamps.min()) if len(stamps) else None
                ),
            }
        )
    return out


class TableRows:
    """Rows of the seven tables as they come, kept as small frames (not millions of dicts)."""

    CHUNK = 20_000

    def __init__(self) -> None:
        self._pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._frames: dict[str, list[pd.DataFrame]] = defaultdict(list)

    def extend(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        for name, items in rows.items():
            self._pending[name].extend(items)
            if len(self._pending[name]) >= self.CHUNK:
                self._flush(name)

    def _flush(self, name: str) -> None:
        if self._pending[name]:
            self._frames[name].append(frame(name, self._pending[name]))
            self._pending[name] = []

    def table(self, name: str) -> pd.DataFrame:
        """The whole table, indexed by its ids and sorted."""
        self._flush(name)
        parts = self._frames[name]
        whole = pd.concat(parts) if parts else frame(name, [])
        self._frames[name] = [whole]
        return whole.sort_index()


def frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as the table's frame: its columns in order, ids as the index."""
    data = pd.DataFrame(rows, columns=[*INDEX[name], *COLUMNS[name]])
    for column in COLUMNS[name]:
        if column in _NULLABLE_INT:
            data[column] = data[column].astype("Int64")
    if "answer_id" in INDEX[name]:
        data["answer_id"] = data["answer_id"].astype("int64")
    return data.set_index(INDEX[name])


def write_table(folder: Path, name: str, table: pd.DataFrame) -> None:
    """`name.parquet` (ids as the index) and `name.csv.gz` (the index columns first)."""
    folder.mkdir(parents=True, exist_ok=True)
    table.to_parquet(folder / f"{name}.parquet")
    table.to_csv(
        folder / f"{name}.csv.gz", compression={"method": "gzip", "compresslevel": 6, "mtime": 0}
    )


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """A table written by `write_table`, ids as the index."""
    return pd.read_parquet(folder / f"{name}.parquet")
