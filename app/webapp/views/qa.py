"""QA: browse generated questions by study, strategy, type and grade; a question's answer
tree with each answer's boxes, source observation and sentence; export of the selection."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from cxrkg.app.webapp import data, overlay, widgets
from cxrkg.ingest.model import SceneGraph

user = data.user_sidebar()  # first: nothing shows before the sign-in
st.title("Generated QA")

values = data.named("app/qa_filter_values")
v = values[0] if values else {}
if not v.get("types"):
    st.info(
        "No questions in the graph yet. Generate them with "
        "`cxrkg qa generate --write-graph` (or regenerate a study from the Ontology page)."
    )
    st.stop()

with st.form("qa_filters"):
    c1, c2, c3, c4 = st.columns(4)
    study_id = c1.text_input("Study", key="qa_study", value=st.query_params.get("study", ""))
    strategy = c2.selectbox(
        "Strategy",
        ["", *sorted(v["strategies"])],
        key="qa_strategy",
        format_func=lambda v: v or "any",
    )
    qtype = c3.selectbox(
        "Question type", ["", *sorted(v["types"])], key="qa_type", format_func=lambda v: v or "any"
    )
    rating = c4.selectbox(
        "Grade",
        ["", *sorted(v["ratings"] or [])],
        key="qa_rating",
        format_func=lambda v: v or "any",
    )
    if st.form_submit_button("Filter", type="primary"):
        st.session_state["qa_page"] = 0

rows = data.named(
    "explore/study_questions",
    study_id=study_id.strip(),
    question_type=qtype,
    strategy=strategy,
    rating=rating,
    skip=data.skip("qa"),
    limit=data.PAGE_SIZE,
)
if not rows:
    st.info("No question matches these filters.")
    st.stop()

TITLES = {
    "main_answer": "Main answers",
    "details": "Details",
    "related_information": "Related information",
}
Tree = dict[str | None, list[dict[str, Any]]]


def show(row: dict[str, Any], depth: int, children: Tree, sg: SceneGraph | None) -> None:
    """One answer in a bordered box, its boxes on the image, then its sub-answers inside."""
    a = row["a"].properties
    colour = {"pos": "red", "neg": "green"}.get(a.get("positiveness") or "", "gray")
    with st.container(border=True):
        st.markdown(
            f"{'↳ ' * depth}:{colour}-badge[{a.get('answer_type')}] **{a.get('text')}**  "
            f"\ngrade {a.get('rating')} · regions {', '.join(a.get('regions') or []) or '—'} · "
            f"findings {', '.join(a.get('entities') or []) or '—'}"
        )
        if row["observation"]:
            st.caption(f"from observation {row['obs_id']} ({row['observation']})")
        for text in row["sentences"]:
            st.caption(f"source sentence: “{text}”")
        boxes = overlay.flat_boxes(
            a.get("image_ids") or [], a.get("bboxes_flat") or [], a.get("bboxes_per_image") or []
        )
        if (
            any(boxes.values())
            and sg is not None
            and st.toggle("Show boxes", value=depth == 0, key=f"qa_box_{a['answer_id']}")
        ):
            for image_id, bxs in boxes.items():
                image = sg.images.get(image_id)
                path = widgets.image_file(image.path if image else None, image_id)
                if path is None:
                    st.caption(f"{len(bxs)} boxes on {image_id}: no image file")
                    continue
                drawn = [
                    overlay.Box(
                        f"{a['answer_id']}:{i}",
                        "observation",
                        a.get("name_tag") or "",
                        image_id,
                        tuple(b),
                        a.get("positiveness"),
                    )
                    for i, b in enumerate(bxs)
                ]
                widgets.boxed_image(
                    str(path), drawn, True, f"{image_id}: {len(drawn)} boxes", width=460
                )
        for child in children.get(a["answer_id"], []):
            show(child, depth + 1, children, sg)


def render_question(q: dict[str, Any]) -> None:
    """The question with its answer tree: main answers, details, related information."""
    qid = q["question_id"]
    st.subheader(q["question"])
    st.caption(
        f"{q['question_type']} · strategy {q['strategy']} · grade {q['rating']} · study {q['study_id']}"
    )
    st.page_link(
        "views/studies.py",
        label=f"Open study {q['study_id']}",
        query_params={"study": q["study_id"]},
    )

    tree = data.named("app/question_answers", question_id=qid)
    children: Tree = {}
    for row in tree:
        children.setdefault(row["parent_id"], []).append(row)
    sg = data.scene_graph(q["study_id"])

    tops = children.get(None, [])
    for kind in ("main_answer", "details", "related_information"):
        group = [r for r in tops if r["a"].properties.get("answer_type") == kind]
        if group:
            st.markdown(f"#### {TITLES[kind]}")
            for row in group:
                show(row, 0, children, sg)
    others = [r for r in tops if r["a"].properties.get("answer_type") not in TITLES]
    for row in others:
        show(row, 0, children, sg)
    if not tops:
        st.caption("This question has no answers stored.")


listing, detail = st.columns([5, 6], gap="large")
with listing:
    picked = st.dataframe(
        pd.DataFrame(rows)[["question", "question_type", "rating", "study_id", "question_id"]],
        hide_index=True,
        height=420,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="qa_table",
    )
    data.pager("qa", len(rows))

    answers = data.named("app/answers_of_questions", question_ids=[r["question_id"] for r in rows])
    by_q: dict[str, list[dict[str, Any]]] = {}
    for a in answers:
        by_q.setdefault(a["question_id"], []).append(a)
    export = [{**r, "answers": by_q.get(r["question_id"], [])} for r in rows]
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download JSON",
        json.dumps(export, indent=1),
        "qa_selection.json",
        "application/json",
        key="qa_dl_json",
    )
    d2.download_button(
        "Download CSV",
        pd.DataFrame(
            [
                {
                    **r,
                    "answers": " | ".join(
                        a["text"] or ""
                        for a in by_q.get(r["question_id"], [])
                        if a["answer_level"] == 0
                    ),
                }
                for r in rows
            ]
        ).to_csv(index=False),
        "qa_selection.csv",
        "text/csv",
        key="qa_dl_csv",
    )

    ids = [r["question_id"] for r in rows]
    clicked = data.new_pick("qa_table", picked)
    if clicked is not None:
        st.session_state["qa_question"] = ids[clicked]
    if st.session_state.get("qa_question") not in ids:
        st.session_state["qa_question"] = ids[0]
    texts = {r["question_id"]: f"{r['study_id']} · {r['question']}" for r in rows}
    qid = st.selectbox("Question", ids, format_func=texts.get, key="qa_question")
    q = next(r for r in rows if r["question_id"] == qid)


with detail:
    render_question(q)
