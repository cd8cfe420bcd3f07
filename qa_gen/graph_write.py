"""`--write-graph`: questions and answers as nodes, so QA can be explored with Cypher, and
read back as the same contract records. A study's QA is replaced on regeneration, never
duplicated.

Question ids are unique within a study and answer ids are integers, as in the release, so
the nodes are keyed by `key`: `<study_id>/<question_id>` and `<study_id>/<question_id>/<answer_id>`.
Each node keeps its record (`record_json`, quality as option names) besides the properties
queries use, so `read_questions` gives back exactly the questions that were written.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from cxrkg.cypher.queries import load_query
from cxrkg.cypher.store import GraphStore
from cxrkg.qa_gen.model import Answer, QADocument, Question


def question_key(study_id: str, question_id: str) -> str:
    return f"{study_id}/{question_id}"


def _flat_boxes(answer: Answer) -> tuple[list[str], list[float], list[int]]:
    """Neo4j stores no nested lists: image ids, all boxes flat, and boxes per image."""
    images, flat, counts = [], [], []
    for image_id, loc in sorted(answer.localization.items()):
        images.append(image_id)
        counts.append(len(loc.bboxes))
        flat.extend(float(c) for box in loc.bboxes for c in box)
    return images, flat, counts


def _record(model: Question | Answer, children: str) -> str:
    return json.dumps(
        model.model_dump(mode="json", exclude={children}), sort_keys=True, ensure_ascii=False
    )


def question_rows(
    doc: QADocument,
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """Question rows and answer rows by level (parents are written before children)."""
    sid = doc.study_id
    qrows: list[dict[str, Any]] = []
    levels: list[list[dict[str, Any]]] = []
    for position, q in enumerate(doc.questions):
        qkey = question_key(sid, q.question_id)
        qrows.append(
            {
                "study_id": sid,
                "key": qkey,
                "props": {
                    "study_id": sid,
                    "question_id": q.question_id,
                    "position": position,
                    "question_type": q.question_type,
                    "question_strategy": q.question_strategy,
                    "text": q.question,
                    "variables_json": json.dumps(q.variables, sort_keys=True),
                    "obs_ids": q.obs_ids,
                    "rating": q.rating,
                    "extraction_rating": q.question_quality.get("extraction_rating"),
                    "contains_report_answers": q.contains_report_answers,
                    "contains_template_answers": q.contains_template_answers,
                    "record_json": _record(q, "answers"),
                },
            }
        )

        def add(
            answers: list[Answer],
            depth: int,
            parent: str | None,
            qkey: str = qkey,
            qid: str = q.question_id,
        ) -> None:
            for ans in answers:
                images, flat, counts = _flat_boxes(ans)
                key = f"{qkey}/{ans.answer_id}"
                while len(levels) <= depth:
                    levels.append([])
                source = ans.source_study_id or sid
                levels[depth].append(
                    {
                        "question_key": qkey,
                        "key": key,
                        "parent_key": parent,
                        "obs_key": f"{source}/{ans.source_obs_id}" if ans.source_obs_id else None,
                        "props": {
                            "study_id": sid,
                            "question_id": qid,
                            "answer_id": ans.answer_id,
                            "answer_type": ans.answer_type,
                            "answer_level": ans.answer_level,
                            "text": ans.text,
                            "name_tag": ans.name_tag,
                            "regions": ans.regions,
                            "entities": ans.obs_entities,
                            "positiveness": ans.positiveness,
                            "certainty": ans.certainty,
                            "from_report": ans.from_report,
                            "rating": ans.rating,
                            "image_ids": images,
                            "bboxes_flat": flat,
                            "bboxes_per_image": counts,
                            "source_study_id": source,
                            "record_json": _record(ans, "sub_answers"),
                        },
                    }
                )
                add(ans.sub_answers, depth + 1, key)

        add(q.answers, 0, None)
    return qrows, levels


def write_study_qa(store: GraphStore, docs: list[QADocument]) -> int:
    """Replace the stored QA of these studies; returns questions written."""
    store.run_named("qa/delete_qa", {"study_ids": [d.study_id for d in docs]})
    qrows: list[dict[str, Any]] = []
    levels: list[list[dict[str, Any]]] = []
    for doc in docs:
        q, lv = question_rows(doc)
        qrows += q
        for i, rows in enumerate(lv):
            while len(levels) <= i:
                levels.append([])
            levels[i] += rows
    store.write_batches(load_query("qa/write_questions"), qrows, batch_size=500)
    for rows in levels:
        store.write_batches(load_query("qa/write_answers"), rows, batch_size=500)
    return len(qrows)


def read_questions(store: GraphStore, keys: list[str]) -> dict[str, Question]:
    """Stored questions by key (those found, in the order given), as the contract's records."""
    found: dict[str, dict[str, Any]] = {}
    answers: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    parent_of: dict[str, str | None] = {}
    for row in store.run_named("qa/read_questions", {"keys": keys}, read_only=True):
        found[row["key"]] = json.loads(row["question"])
        if row["answer_key"] is not None:
            answers[row["key"]][row["answer_key"]] = json.loads(row["answer"])
            parent_of[row["answer_key"]] = row["parent_key"]
    out: dict[str, Question] = {}
    for key in keys:
        if key not in found:
            continue
        records = answers[key]
        children: dict[str | None, list[str]] = defaultdict(list)
        for akey in records:
            children[parent_of[akey]].append(akey)

        def tree(parent: str | None, records: Any = records, children: Any = children) -> list:
            ordered = sorted(children.get(parent, []), key=lambda k: records[k]["answer_id"])
            return [{**records[k], "sub_answers": tree(k)} for k in ordered]

        out[key] = Question.model_validate({**found[key], "answers": tree(None)})
    return out


def read_study_qa(store: GraphStore, study_id: str, patient_id: str) -> QADocument:
    """A study's stored questions as its qa.json document."""
    rows = store.run_named("qa/study_question_keys", {"study_id": study_id}, read_only=True)
    return QADocument(
        patient_id=patient_id,
        study_id=study_id,
        questions=list(read_questions(store, [r["key"] for r in rows]).values()),
    )
