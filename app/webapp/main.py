"""The cxrkg Streamlit app: `cxrkg app` runs this script; st.navigation over the pages."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
PAGES = HERE / "pages"

st.set_page_config(page_title="cxrkg", page_icon="🩻", layout="wide")

navigation = st.navigation(
    {
        "Browse": [
            st.Page(
                PAGES / "overview.py", title="Overview", icon=":material/bar_chart:", default=True
            ),
            st.Page(PAGES / "studies.py", title="Studies", icon=":material/radiology:"),
            st.Page(PAGES / "qa.py", title="QA", icon=":material/quiz:"),
        ],
        "Explore": [st.Page(PAGES / "cypher.py", title="Cypher", icon=":material/terminal:")],
        "Curate": [
            st.Page(PAGES / "ontology.py", title="Ontology", icon=":material/account_tree:"),
            st.Page(PAGES / "proposals.py", title="Proposals", icon=":material/how_to_vote:"),
        ],
    }
)
navigation.run()
