"""`--write-graph`: questions and answers as nodes, so QA can be explored with Cypher.
A study's QA is replaced on regeneration, never duplicated."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cxrkg.cypher.store import GraphStore

if TYPE_CHECKING:
    from cxrkg.qa_gen.generate import StudyQA


def _flat_boxes(
    localization: dict[str, dict[str, Any]],
) -> tuple[list[str], list[float], list[int]]:
    """Neo4j stores no nested lists: image ids, all boxes flat, and boxes per image."""
    images, flat, counts = [], [], []
    for image_id, loc in sorted(localization.items()):
        images.append(image_id)
        counts.append(len(loc["bboxes"]))
        flat.extend(float(c) for box in loc["bboxes"] for c in box)
    return images, flat, counts


def question_rows(item: StudyQA) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """Question rows and answer rows by level (parents are written before children)."""
    sid = item.study.study_id
    qrows: list[dict[str, Any]] = []
    levels: list[list[dict[str, Any]]] = []
    for q in item.questions:
        qrows.append(
            {
                "study_id": sid,
                "question_id": q["question_id"],
                "props": {
                    "study_id": sid,
                    "question_type": q["question_type"],
                    "question_strategy": q["question_strategy"],
                    "text": q["question"],
                    "variables_json": json.dumps(q["variables"], sort_keys=True),
                    "obs_ids": q["obs_ids"],
                    "rating": q["question_quality"].get("rating"),
                    "contains_report_answers": q["contains_report_answers"],
                    "contains_template_answers": q["contains_template_answers"],
                },
            }
        )

        def add(
            answers: list[dict[str, Any]], parent: str | None, qid: str = q["question_id"]
        ) -> None:
            for ans in answers:
                images, flat, counts = _flat_boxes(ans["localization"])
                level = ans["answer_level"]
                while len(levels) <= level:
                    levels.append([])
                obs_key = f"{ans['_study_id']}/{ans['_obs_id']}" if ans["_obs_id"] else None
                levels[level].append(
                    {
                        "question_id": qid,
                        "answer_id": ans["answer_id"],
                        "parent_answer_id": parent,
                        "obs_key": obs_key,
                        "props": {
                            "question_id": qid,
                            "study_id": sid,
                            "answer_type": ans["answer_type"],
                            "answer_level": level,
                            "text": ans["text"],
                            "name_tag": ans["name_tag"],
                            "regions": ans["regions"],
                            "entities": ans["obs_entities"],
                            "positiveness": ans["positiveness"],
                            "certainty": ans["certainty"],
                            "from_report": ans["from_report"],
                            "rating": ans["answer_quality"].get("rating"),
                            "image_ids": images,
                            "bboxes_flat": flat,
                            "bboxes_per_image": counts,
                            "source_study_id": ans["_study_id"],
                        },
                    }
                )
                add(ans["sub_answers"], ans["answer_id"])

        add(q["answers"], None)
    return qrows, levels


def write_study_qa(store: GraphStore, items: list[StudyQA]) -> int:
    """Replace the stored QA of these studies; returns questions written."""
    store.run_named("qa/delete_qa", {"study_ids": [i.study.study_id for i in items]})
    qrows: list[dict[str, Any]] = []
    levels: list[list[dict[str, Any]]] = []
    for item in items:
        q, lv = question_rows(item)
        qrows += q
        for i, rows in enumerate(lv):
            while len(levels) <= i:
                levels.append([])
            levels[i] += rows
    from cxrkg.cypher.queries import load_query

    store.write_batches(load_query("qa/write_questions"), qrows, batch_size=500)
    for rows in levels:
        store.write_batches(load_query("qa/write_answers"), rows, batch_size=500)
    return len(qrows)
