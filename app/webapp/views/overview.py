"""Overview: the graph's counts, QA by type and grade, frequent findings and regions, and the
acting user's watched concepts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cxrkg.app.collab import Collab
from cxrkg.app.webapp import data

user = data.user_sidebar()  # first: nothing shows before the sign-in
st.title("Overview")

counts = data.named("app/overview_counts")
c = counts[0] if counts else {}
cols = st.columns(6)
for col, (label, key) in zip(
    cols,
    [
        ("Patients", "patients"),
        ("Studies", "studies"),
        ("Images", "images"),
        ("Observations", "observations"),
        ("Questions", "questions"),
        ("Answers", "answers"),
    ],
    strict=True,
):
    col.metric(label, f"{int(c.get(key) or 0):,}")
if not c.get("studies"):
    st.info("The graph has no studies yet. Load some with `cxrkg demo` or `cxrkg ingest …`.")

feed = Collab().feed(user.name)
watched = Collab().watched(user.name)
with st.expander(f"Your watched concepts ({len(watched)})", expanded=bool(feed)):
    if not watched:
        st.caption("Watch a concept on its Ontology page to follow its changes here.")
    else:
        st.write(", ".join(watched))
        if feed:
            st.dataframe(pd.DataFrame(feed), hide_index=True, width="stretch")
        else:
            st.caption("No changes, proposals or comments on them yet.")

left, right = st.columns(2)
with left:
    st.subheader("Observations by category")
    rows = data.named("explore/observations_by_category")
    if rows:
        df = pd.DataFrame(rows)
        df["positive"] = df["positive"].astype(int)
        df["negative"] = df["observations"] - df["positive"]
        st.bar_chart(df.set_index("category")[["positive", "negative"]], horizontal=True)
    st.subheader("Most frequent positive findings")
    rows = data.named("explore/top_findings", limit=15)
    if rows:
        st.bar_chart(pd.DataFrame(rows).set_index("finding")["observations"], horizontal=True)
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
with right:
    st.subheader("Studies by split and grade")
    rows = data.named("app/split_grade_counts")
    if rows:
        df = pd.DataFrame(rows).pivot_table(
            index="split", columns="grade", values="studies", fill_value=0
        )
        st.bar_chart(df)
    st.subheader("Regions with most positive observations")
    rows = data.named("explore/top_regions", limit=15)
    if rows:
        st.bar_chart(pd.DataFrame(rows).set_index("region")["observations"], horizontal=True)

st.subheader("Generated QA by type and grade")
rows = data.named("explore/qa_by_type_and_grade")
if rows:
    df = pd.DataFrame(rows).pivot_table(
        index="question_type", columns="rating", values="questions", fill_value=0
    )
    st.bar_chart(df, horizontal=True, height=max(300, 22 * len(df)))
else:
    st.caption("No QA in the graph yet: `cxrkg qa generate --write-graph`.")
