"""The cxrkg Streamlit app: `cxrkg app` runs this script; st.navigation over the pages."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
# Not "pages/": Streamlit would also serve a folder of that name by itself, without this
# script (no navigation, no page config) when a page URL is the first one opened.
VIEWS = HERE / "views"

st.set_page_config(page_title="cxrkg", page_icon=":material/radiology:", layout="wide")

navigation = st.navigation(
    {
        "Browse": [
            st.Page(
                VIEWS / "overview.py", title="Overview", icon=":material/bar_chart:", default=True
            ),
            st.Page(VIEWS / "studies.py", title="Studies", icon=":material/radiology:"),
            st.Page(VIEWS / "qa.py", title="QA", icon=":material/quiz:"),
        ],
        "Explore": [st.Page(VIEWS / "cypher.py", title="Cypher", icon=":material/terminal:")],
        "Curate": [
            st.Page(VIEWS / "ontology.py", title="Ontology", icon=":material/account_tree:"),
            st.Page(VIEWS / "proposals.py", title="Proposals", icon=":material/how_to_vote:"),
        ],
    }
)
navigation.run()
