"""Studies: search by patient, study, finding (with its ontology descendants), region, split
and grade; a study's images with boxes, report, observation tree, graph and timeline."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cxrkg.app.webapp import data, timeline, widgets
from cxrkg.ingest.model import SceneGraph

user = data.user_sidebar()  # first: nothing shows before the sign-in
st.title("Studies")


def _any(value: str) -> str:
    return value or "any"


filters = widgets.filter_values()
onto = widgets.ontology()

with st.form("study_search"):
    c1, c2, c3 = st.columns(3)
    patient = c1.text_input("Patient", key="f_patient", placeholder="p10000001")
    study_q = c2.text_input("Study", key="f_study", placeholder="s50000001")
    positiveness = c3.selectbox(
        "Observations",
        ["positive", "negative", "either"],
        key="f_pos",
        help="For finding and region searches: which observations count.",
    )
    c4, c5, c6, c7 = st.columns(4)
    finding = c4.selectbox(
        "Finding (with its descendants)",
        [""] + sorted(onto.findings),
        key="f_finding",
        format_func=_any,
    )
    region = c5.selectbox(
        "Region (with its parts)", [""] + sorted(onto.regions), key="f_region", format_func=_any
    )
    split = c6.selectbox("Split", [""] + filters["splits"], key="f_split", format_func=_any)
    grade = c7.selectbox("Quality grade", [""] + filters["grades"], key="f_grade", format_func=_any)
    if st.form_submit_button("Search", type="primary"):
        st.session_state["studies_page"] = 0

common = {
    "patient_id": patient.strip(),
    "split": split,
    "grade": grade,
    "skip": data.skip("studies"),
    "limit": data.PAGE_SIZE,
}
pos = {"positive": "pos", "negative": "neg"}.get(positiveness, "")
if finding and region:
    rows = data.named(
        "explore/find_studies_by_finding_in_region",
        finding=finding,
        region=region,
        positiveness=pos,
        **common,
    )
elif finding:
    rows = data.named(
        "explore/find_studies_by_finding", finding=finding, positiveness=pos, **common
    )
elif region:
    rows = data.named("explore/find_studies_by_region", region=region, positiveness=pos, **common)
else:
    rows = data.named("explore/find_studies", study_id=study_q.strip(), **common)
if study_q.strip() and (finding or region):
    rows = [r for r in rows if r["study_id"] == study_q.strip()]

if not rows:
    st.info("No study matches these filters.")
else:
    table = pd.DataFrame(rows)
    picked = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="study_table",
    )
    data.pager("studies", len(rows))
    clicked = data.new_pick("study_table", picked)
    if clicked is not None:
        st.session_state["open_study"] = rows[clicked]["study_id"]

# The study to show: a table click, the picker, or ?study= in the URL (links from other pages).
url_study = st.query_params.get("study")
if url_study and st.session_state.get("_url_study") != url_study:
    st.session_state["_url_study"] = url_study
    st.session_state["open_study"] = url_study
options = [r["study_id"] for r in rows]
current = st.session_state.get("open_study") or (options[0] if options else "")
if current and current not in options:
    options = [current, *options]
if not options:
    st.stop()
st.session_state["open_study"] = current
study_id = st.selectbox("Open study", options, key="open_study")
if st.query_params.get("study") != study_id:
    st.query_params["study"] = study_id
    st.session_state["_url_study"] = study_id

sg = data.scene_graph(study_id)
if sg is None:
    st.error(f"There is no study {study_id!r} in the graph.")
    st.stop()
assert isinstance(sg, SceneGraph)

meta = data.named(
    "explore/find_studies",
    patient_id="",
    study_id=sg.study_id,
    split="",
    grade="",
    skip=0,
    limit=1,
)
grade = meta[0]["grade"] if meta else None
st.header(f"Study {sg.study_id}")
st.caption(
    f"patient **{sg.patient_id}** · split {sg.split or '—'} · order {sg.study_order or '—'} · "
    f"source {sg.source} · {len(sg.observations)} observations · "
    f"{len(sg.images)} images · scene-graph grade {grade or '—'}"
)

tab_img, tab_report, tab_tree, tab_graph, tab_time = st.tabs(
    ["Images and boxes", "Report", "Observation tree", "Graph", "Patient timeline"]
)

with tab_img:
    widgets.study_images(sg)

with tab_report:
    ind = sg.indication
    st.subheader("Indication")
    if ind is None:
        st.caption("No indication recorded.")
    else:
        st.markdown(f"**{ind.indication_summary or ind.indication or '—'}**")
        if ind.patient_info:
            st.caption(f"patient: {ind.patient_info}")
        if ind.evaluation:
            st.caption(f"evaluate: {ind.evaluation}")
        if ind.answer_for_indication is not None:
            st.caption(f"answer: {ind.answer_for_indication.summary_sentence}")
    st.subheader("Report sentences and their observations")
    by_sentence: dict[str, list[str]] = {}
    for rel in sg.obs_sent_relations:
        by_sentence.setdefault(rel.sentence_id, []).append(rel.observation_id)
    section = None
    for sent in sg.sentences.values():
        if sent.section != section:
            section = sent.section
            st.markdown(f"###### {section or 'REPORT'}")
        obs = [
            sg.observations[o] for o in by_sentence.get(sent.sent_id, []) if o in sg.observations
        ]
        tags = " ".join(widgets.obs_badge(o) for o in obs)
        st.markdown(f"{sent.sentence}  \n{tags}" if tags else sent.sentence)

with tab_tree:
    widgets.observation_tree(sg)

with tab_graph:
    elems = widgets.study_elements(data.version(), sg.study_id)
    widgets.graph_view(elems, key=f"graph_{sg.study_id}")

with tab_time:
    steps = timeline.timeline(data.named("app/patient_findings", patient_id=sg.patient_id))
    if len(steps) < 2:
        st.caption(f"Patient {sg.patient_id} has one study in the graph.")
    for step in steps:
        here = " (this study)" if step.study_id == sg.study_id else ""
        with st.container(border=True):
            st.markdown(f"**{step.study_id}**{here} · order {step.study_order}")
            if step.new:
                st.markdown("🆕 new: " + ", ".join(step.new))
            if step.resolved:
                st.markdown("✅ no longer positive: " + ", ".join(step.resolved))
            if step.persisting:
                st.markdown("↔️ persisting: " + ", ".join(step.persisting))
            if step.reported_changes:
                st.markdown("📝 reported changes: " + "; ".join(step.reported_changes))
            if not (step.new or step.resolved or step.persisting or step.reported_changes):
                st.caption("positive: " + (", ".join(step.positive) or "none"))
            if step.study_id != sg.study_id:
                st.page_link(
                    "views/studies.py",
                    label=f"Open {step.study_id}",
                    query_params={"study": step.study_id},
                )
