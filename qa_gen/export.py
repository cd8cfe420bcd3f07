"""Export in the QBA layout: `qa/p1x/p1xxxxxxx/sxxxxxxxx.qa.json`, `metadata/*.csv.gz` and
`.parquet`, `dataset_info.json`, `quality_mappings.csv`; and the A/B frontal subsets."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxrkg.ingest.model import check_identifier
from cxrkg.ontology.values import (
    EXTRACTION_CRITERIA,
    GRADES,
    at_least,
    grade_rank,
    option,
    quality_mappings,
)
from cxrkg.qa_gen.answers import walk

if TYPE_CHECKING:
    from cxrkg.cypher.store import GraphStore
    from cxrkg.qa_gen.generate import StudyQA

METADATA_FILES = (
    "patient_metadata",
    "study_metadata",
    "image_metadata",
    "question_metadata",
    "question_image_metadata",
    "answer_metadata",
    "answer_image_metadata",
)
FRONTAL_VIEWS = {"PA", "AP", "AP AXIAL", "PA LLD", "AP LLD"}


class UnsafePath(ValueError):
    """An id that would put a file outside the output folder."""


def qa_path(root: Path, patient_id: str, study_id: str) -> Path:
    """`root/p1x/p1xxxxxxx/sxxxxxxxx.qa.json` (p1x: first three characters of the patient).

    The ids were validated when the study was ingested; they are checked again here because
    they become paths, and a graph may have been written by other means."""
    for name, value in (("patient_id", patient_id), ("study_id", study_id)):
        try:
            check_identifier(str(value))
        except ValueError as exc:
            raise UnsafePath(f"study {study_id!r} is not written: its {name} {exc}") from exc
    path = root / patient_id[:3] / patient_id / f"{study_id}.qa.json"
    if not path.resolve().is_relative_to(root.resolve()):  # e.g. a symlinked folder
        raise UnsafePath(f"study {study_id!r} is not written: {path} leads outside {root}")
    return path


def _clean_answer(ans: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in ans.items() if not k.startswith("_")}
    out["sub_answers"] = [_clean_answer(s) for s in ans["sub_answers"]]
    return out


def qa_document(patient_id: str, study_id: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """One study's qa.json in the seed's field order."""
    return {
        "patient_id": patient_id,
        "study_id": study_id,
        "questions": [
            {**q, "answers": [_clean_answer(a) for a in q["answers"]]} for q in questions
        ],
    }


def _code(criterion: str, value: Any) -> int | None:
    """Quality values as QBA's raw integer codes (larger = better)."""
    if value is None:
        return None
    try:
        return option(criterion, int(value) if isinstance(value, float) else value).code
    except (KeyError, ValueError):
        return None


def _is_frontal(image: dict[str, Any]) -> bool:
    if image.get("is_frontal") is not None:
        return bool(image["is_frontal"])
    return (image.get("view_position") or "").upper() in FRONTAL_VIEWS


def question_rows(
    doc: dict[str, Any], frontal: set[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """question/answer (and their image) metadata rows of one qa.json document."""
    pid, sid = doc["patient_id"], doc["study_id"]
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in doc["questions"]:
        qid = q["question_id"]
        answers = walk(q["answers"])
        row = {
            "patient_id": pid,
            "study_id": sid,
            "question_id": qid,
            "question_type": q["question_type"],
            "question_strategy": q["question_strategy"],
            "rating": q["question_quality"].get("rating"),
            "extraction_rating": q["question_quality"].get("extraction_rating"),
            "contains_report_answers": q["contains_report_answers"],
            "contains_template_answers": q["contains_template_answers"],
            "num_answers": len(answers),
            "num_obs": len(q["obs_ids"]),
        }
        for crit in EXTRACTION_CRITERIA:
            row[f"quality_{crit}"] = _code(crit, q["extraction_quality"].get(crit))
        rows["question_metadata"].append(row)
        for image_id, value in q["question_img_localization_quality"].items():
            rows["question_image_metadata"].append(
                {
                    "patient_id": pid,
                    "study_id": sid,
                    "question_id": qid,
                    "image_id": image_id,
                    "is_frontal": frontal is None or image_id in frontal,
                    "localization_quality": _code("localization_quality", value),
                }
            )
        for ans in answers:
            rows["answer_metadata"].append(
                {
                    "patient_id": pid,
                    "study_id": sid,
                    "question_id": qid,
                    "answer_id": ans["answer_id"],
                    "answer_type": ans["answer_type"],
                    "answer_level": ans["answer_level"],
                    "from_report": ans["from_report"],
                    "rating": ans["answer_quality"].get("rating"),
                    "positiveness": ans["positiveness"],
                    "certainty": ans["certainty"],
                    "num_sub_answers": len(ans["sub_answers"]),
                }
            )
            for image_id, loc in ans["localization"].items():
                rows["answer_image_metadata"].append(
                    {
                        "patient_id": pid,
                        "study_id": sid,
                        "question_id": qid,
                        "answer_id": ans["answer_id"],
                        "image_id": image_id,
                        "num_regions": len(loc["localization_reference_ids"]),
                        "num_bboxes": len(loc["bboxes"]),
                        "localization_quality": _code(
                            "localization_quality", loc.get("localization_quality")
                        ),
                    }
                )
    return rows


def write_table(folder: Path, name: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """`name.csv.gz` and `name.parquet` (same rows; csv for reading, parquet for speed)."""
    frame = pd.DataFrame(rows, columns=columns)
    frame.to_csv(folder / f"{name}.csv.gz", index=False, compression="gzip")
    frame.to_parquet(folder / f"{name}.parquet", index=False)


COLUMNS: dict[str, list[str]] = {
    "patient_metadata": ["patient_id", "total_studies", "total_study_timespan"],
    "study_metadata": [
        "patient_id",
        "study_id",
        "rating",
        "num_observations",
        "num_questions",
        "num_images",
        "num_frontal_images",
        "procedure",
        "split",
        "timestamp_since_first",
        "timespan_since_prev",
        *[f"quality_{c}" for c in EXTRACTION_CRITERIA],
    ],
    "image_metadata": [
        "patient_id",
        "study_id",
        "image_id",
        "view_position",
        "patient_orientation",
        "width",
        "height",
        "is_frontal",
        "localization_quality",
    ],
    "question_metadata": [
        "patient_id",
        "study_id",
        "question_id",
        "question_type",
        "question_strategy",
        "rating",
        "extraction_rating",
        "contains_report_answers",
        "contains_template_answers",
        "num_answers",
        "num_obs",
        *[f"quality_{c}" for c in EXTRACTION_CRITERIA],
    ],
    "question_image_metadata": [
        "patient_id",
        "study_id",
        "question_id",
        "image_id",
        "is_frontal",
        "localization_quality",
    ],
    "answer_metadata": [
        "patient_id",
        "study_id",
        "question_id",
        "answer_id",
        "answer_type",
        "answer_level",
        "from_report",
        "rating",
        "positiveness",
        "certainty",
        "num_sub_answers",
    ],
    "answer_image_metadata": [
        "patient_id",
        "study_id",
        "question_id",
        "answer_id",
        "image_id",
        "num_regions",
        "num_bboxes",
        "localization_quality",
    ],
}


def dataset_info(store: GraphStore | None = None) -> dict[str, Any]:
    """Value sets: from the ontology when it loads, plus what the graph holds."""
    from cxrkg.ontology import values
    from cxrkg.qa_gen.families import QUESTION_TYPES, STRATEGY

    info: dict[str, Any] = {}
    try:
        from cxrkg.ontology import load_ontology  # type: ignore[attr-defined]

        info.update(load_ontology().value_sets())
    except Exception:  # noqa: BLE001 - no ontology: fall back to the value sets in the code
        info.update(
            {
                "probability": list(values.PROBABILITY),
                "certainty": list(values.CERTAINTY),
                "positiveness": list(values.POSITIVENESS),
                "modifiers": {k: list(v) for k, v in values.MODIFIERS.items()},
                "changes": list(values.CHANGES),
                "answer_types": list(values.ANSWER_TYPES),
                "grades": list(GRADES),
            }
        )
    if store is not None:
        rows = store.run(
            "MATCH (o:Observation) UNWIND coalesce(o.entities, []) AS e "
            "RETURN collect(DISTINCT e) AS entities",
            read_only=True,
        )
        info["entities_in_graph"] = sorted(rows[0]["entities"]) if rows else []
        rows = store.run(
            "MATCH (r:StudyRegion) RETURN collect(DISTINCT r.region) AS regions", read_only=True
        )
        info["regions_in_graph"] = sorted(rows[0]["regions"]) if rows else []
    info["question_types"] = list(QUESTION_TYPES)
    info["question_strategies"] = sorted(set(STRATEGY.values()))
    info["quality_criteria"] = {
        c: [o.name for o in opts] for c, opts in EXTRACTION_CRITERIA.items()
    }
    return info


def write_quality_mappings(path: Path) -> None:
    rows = quality_mappings()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _study_meta(item: StudyQA) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sd = item.study
    meta = json.loads(sd.study.get("metadata_json") or "{}")
    images = [
        {
            "patient_id": sd.patient_id,
            "study_id": sd.study_id,
            "image_id": i.get("image_id"),
            "view_position": i.get("view_position"),
            "patient_orientation": i.get("patient_orientation"),
            "width": i.get("width"),
            "height": i.get("height"),
            "is_frontal": _is_frontal(i),
            "localization_quality": _code("localization_quality", i.get("localization_quality")),
        }
        for i in sd.images
    ]
    quality = sd.quality
    study = {
        "patient_id": sd.patient_id,
        "study_id": sd.study_id,
        "rating": sd.study.get("grade") or "A++",
        "num_observations": sd.study.get("num_observations"),
        "num_questions": len(item.questions),
        "num_images": len(images),
        "num_frontal_images": sum(1 for i in images if i["is_frontal"]),
        "procedure": meta.get("procedure"),
        "split": sd.study.get("split"),
        "timestamp_since_first": meta.get("timestamp_since_first"),
        "timespan_since_prev": meta.get("timespan_since_prev"),
        "_datetime": sd.study.get("study_datetime"),
    }
    for crit in EXTRACTION_CRITERIA:
        study[f"quality_{crit}"] = _code(crit, quality.get(crit))
    return study, images


def _patients(studies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in studies:
        by_patient[s["patient_id"]].append(s)
    out = []
    for pid, rows in sorted(by_patient.items()):
        stamps = [
            r["timestamp_since_first"] for r in rows if r["timestamp_since_first"] is not None
        ]
        out.append(
            {
                "patient_id": pid,
                "total_studies": len(rows),
                "total_study_timespan": (max(stamps) - min(stamps)) if stamps else None,
            }
        )
    return out


class QAExporter:
    """Writes each study's qa.json as it comes and the metadata tables at the end."""

    def __init__(self, out_dir: Path):
        self.out = Path(out_dir)
        (self.out / "qa").mkdir(parents=True, exist_ok=True)
        (self.out / "metadata").mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.refused: list[str] = []  # studies whose ids cannot be file names

    def add(self, item: StudyQA) -> None:
        sd = item.study
        doc = qa_document(sd.patient_id, sd.study_id, item.questions)
        try:
            path = qa_path(self.out / "qa", sd.patient_id, sd.study_id)
        except UnsafePath as exc:
            self.refused.append(str(exc))
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        study, images = _study_meta(item)
        frontal = {i["image_id"] for i in images if i["is_frontal"]}
        self.rows["study_metadata"].append(study)
        self.rows["image_metadata"].extend(images)
        for name, rows in question_rows(doc, frontal).items():
            self.rows[name].extend(rows)

    def finish(self, store: GraphStore | None = None) -> None:
        self.rows["patient_metadata"] = _patients(self.rows["study_metadata"])
        write_metadata(self.out / "metadata", self.rows)
        (self.out / "metadata" / "dataset_info.json").write_text(
            json.dumps(dataset_info(store), indent=1, ensure_ascii=False), encoding="utf-8"
        )
        write_quality_mappings(self.out / "quality_mappings.csv")


def write_metadata(folder: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in METADATA_FILES:
        ordered = sorted(
            rows.get(name, []),
            key=lambda r: tuple(
                str(r.get(k) or "")
                for k in ("patient_id", "study_id", "question_id", "answer_id", "image_id")
            ),
        )
        write_table(folder, name, ordered, COLUMNS[name])


# -- subsets -------------------------------------------------------------------------------
def _keep_images(ans: dict[str, Any], frontal: set[str]) -> dict[str, Any]:
    out = dict(ans)
    out["localization"] = {k: v for k, v in ans["localization"].items() if k in frontal}
    out["sub_answers"] = [_keep_images(s, frontal) for s in ans["sub_answers"]]
    return out


def export_subset(
    src: str | Path, grade: str = "A", frontal_only: bool = True, out: str | Path | None = None
) -> dict[str, int]:
    """`A_frontal` / `B_frontal`: questions rated `grade` or better, frontal images only
    (studies without a frontal image dropped). Returns counts of what was kept."""
    src = Path(src)
    if grade not in GRADES:
        raise ValueError(f"grade {grade!r}: use one of {', '.join(GRADES)}")
    name = (
        f"{grade.replace('+', 'p')}_frontal" if frontal_only else f"{grade.replace('+', 'p')}_all"
    )
    dest = Path(out) if out else src / "exports" / name
    images = pd.read_parquet(src / "metadata" / "image_metadata.parquet")
    studies = pd.read_parquet(src / "metadata" / "study_metadata.parquet")
    frontal = (
        set(images.loc[images["is_frontal"].astype(bool), "image_id"])
        if frontal_only
        else set(images["image_id"])
    )
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    kept_studies: set[str] = set()
    counts = {"studies": 0, "questions": 0}
    for path in sorted((src / "qa").rglob("*.qa.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        study_images = set(images.loc[images["study_id"] == doc["study_id"], "image_id"])
        if frontal_only and not (study_images & frontal):
            continue
        questions = []
        for q in doc["questions"]:
            rating = q["question_quality"].get("rating")
            if rating not in GRADES or not at_least(rating, grade):
                continue
            q = {
                **q,
                "answers": [_keep_images(a, frontal) for a in q["answers"]],
                "question_img_localization_quality": {
                    k: v for k, v in q["question_img_localization_quality"].items() if k in frontal
                },
            }
            questions.append(q)
        if not questions:
            continue
        new_doc = {**doc, "questions": questions}
        target = qa_path(dest / "qa", doc["patient_id"], doc["study_id"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(new_doc, ensure_ascii=False, indent=1), encoding="utf-8")
        kept_studies.add(doc["study_id"])
        counts["studies"] += 1
        counts["questions"] += len(questions)
        for table, trs in question_rows(new_doc, frontal).items():
            rows[table].extend(trs)
    st = studies[studies["study_id"].isin(kept_studies)]
    rows["study_metadata"] = st.to_dict("records")
    im = images[images["study_id"].isin(kept_studies) & images["image_id"].isin(frontal)]
    rows["image_metadata"] = im.to_dict("records")
    rows["patient_metadata"] = _patients(rows["study_metadata"])
    write_metadata(dest / "metadata", rows)
    # Like QBA's A_frontal/metadata/Ap and App: the question-level tables of stricter grades.
    for sub, floor in (("Ap", "A+"), ("App", "A++")):
        if grade_rank(floor) > grade_rank(grade):
            qids = {
                r["question_id"] for r in rows["question_metadata"] if at_least(r["rating"], floor)
            }
            folder = dest / "metadata" / sub
            folder.mkdir(parents=True, exist_ok=True)
            for table in (
                "question_metadata",
                "question_image_metadata",
                "answer_metadata",
                "answer_image_metadata",
            ):
                write_table(
                    folder,
                    table,
                    [r for r in rows[table] if r["question_id"] in qids],
                    COLUMNS[table],
                )
            counts[sub] = len(qids)
    for extra in ("dataset_info.json",):
        if (src / "metadata" / extra).is_file():
            (dest / "metadata" / extra).write_text(
                (src / "metadata" / extra).read_text(encoding="utf-8"), encoding="utf-8"
            )
    if (src / "quality_mappings.csv").is_file():
        (dest / "quality_mappings.csv").write_text(
            (src / "quality_mappings.csv").read_text(encoding="utf-8"), encoding="utf-8"
        )
    return counts
