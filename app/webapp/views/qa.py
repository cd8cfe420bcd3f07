"""QA: browse generated questions by study, strategy, type and grade; a question's answer
tree with each answer's boxes, source observation and sentence; export of the selection."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from cxrkg.app.webapp import data, overlay, widgets
from cxrkg.ingest.model import SceneGraph
from cxrkg.qa_gen.model import Answer

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


def show(a: Answer, key: str, depth: int, sources: dict[str, Any], sg: SceneGraph | None) -> None:
    """One answer in a bordered box, its boxes on the image, then its sub-answers inside."""
    colour = {"pos": "red", "neg": "green"}.get(a.positiveness or "", "gray")
    akey = f"{key}/{a.answer_id}"
    with st.container(border=True):
        st.markdown(
            f"{'↳ ' * depth}:{colour}-badge[{a.answer_type}] **{a.text}**  "
            f"\ngrade {a.rating} · regions {', '.join(a.regions) or '—'} · "
            f"findings {', '.join(a.obs_entities) or '—'}"
        )
        source = sources.get(akey)
        if source and source["observation"]:
            st.caption(f"from observation {source['obs_id']} ({source['observation']})")
        for text in source["sentences"] if source else []:
            st.caption(f"source sentence: “{text}”")
        if (
            any(loc.bboxes for loc in a.localization.values())
            and sg is not None
            and st.toggle("Show boxes", value=depth == 0, key=f"qa_box_{akey}")
        ):
            for image_id, loc in a.localization.items():
                image = sg.images.get(image_id)
                path = widgets.image_file(image.path if image else None, image_id)
                if path is None:
                    st.caption(f"{len(loc.bboxes)} boxes on {image_id}: no image file")
                    continue
                drawn = [
                    overlay.Box(
                        f"{akey}:{i}",
                        "observation",
                        a.name_tag or "",
                        image_id,
                        tuple(b),
                        a.positiveness,
                    )
                    for i, b in enumerate(loc.bboxes)
                ]
                widgets.boxed_image(
                    str(path), drawn, True, f"{image_id}: {len(drawn)} boxes", width=460
                )
        for sub in a.sub_answers:
            show(sub, key, depth + 1, sources, sg)


def render_question(row: dict[str, Any]) -> None:
    """The question with its answer tree: main answers, details, related information."""
    q = data.questions([row["key"]]).get(row["key"])
    if q is None:
        st.caption("This question is no longer stored.")
        return
    st.subheader(q.question)
    st.caption(
        f"{q.question_type} · strategy {q.question_strategy} · grade {q.rating}"
        f" · study {row['study_id']} · {q.question_id}"
    )
    st.page_link(
        "views/studies.py",
        label=f"Open study {row['study_id']}",
        query_params={"study": row["study_id"]},
    )
    sources = {
        r["a"].properties["key"]: r
        for r in data.named("app/question_answers", question_key=row["key"])
    }
    sg = data.scene_graph(row["study_id"])
    for kind, title in TITLES.items():
        group = [a for a in q.answers if a.answer_type == kind]
        if group:
            st.markdown(f"#### {title}")
            for a in group:
                show(a, row["key"], 0, sources, sg)
    if not q.answers:
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

    # The selection as the release writes questions (qa.json records), with their study.
    selected = data.questions([r["key"] for r in rows])
    export = [
        {"study_id": r["study_id"], **selected[r["key"]].to_release_json()}
        for r in rows
        if r["key"] in selected
    ]
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
                    **{k: v for k, v in r.items() if k != "position"},
                    "answers": " | ".join(a.text for a in selected[r["key"]].answers),
                }
                for r in rows
                if r["key"] in selected
            ]
        ).to_csv(index=False),
        "qa_selection.csv",
        "text/csv",
        key="qa_dl_csv",
    )

    ids = [r["key"] for r in rows]
    clicked = data.new_pick("qa_table", picked)
    if clicked is not None:
        st.session_state["qa_question"] = ids[clicked]
    if st.session_state.get("qa_question") not in ids:
        st.session_state["qa_question"] = ids[0]
    texts = {r["key"]: f"{r['study_id']} · {r['question']}" for r in rows}
    qkey = st.selectbox("Question", ids, format_func=texts.get, key="qa_question")
    q = next(r for r in rows if r["key"] == qkey)


with detail:
    render_question(q)
