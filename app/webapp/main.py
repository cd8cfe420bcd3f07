"""The cxrkg Streamlit app: `cxrkg app` runs this script. A visitor who is not signed in
sees only the sign-in; everyone else gets st.navigation over the pages."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st
from streamlit import config

from cxrkg.app.webapp import signin

HERE = Path(__file__).parent
# Not "pages/": Streamlit would also serve a folder of that name by itself, without this
# script (no navigation, no page config) when a page URL is the first one opened.
VIEWS = HERE / "views"

st.set_page_config(page_title="cxrkg", page_icon=":material/radiology:", layout="wide")
user = signin.signed_in_user()

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
    },
    # Hidden, not absent, before the sign-in: the page a link names stays in the URL, so the
    # visitor lands on it once signed in.
    position="sidebar" if user is not None else "hidden",
)
if user is None:
    signin.sign_in_page()  # the sign-in only; the run stops here
try:
    navigation.run()
except Exception as exc:
    # `cxrkg app` serves with client.showErrorDetails=none: the visitor gets a message, the
    # server's log the traceback. A developer's `streamlit run` (details on) sees it all.
    if config.get_option("client.showErrorDetails") in ("full", True, "true", "True"):
        raise
    logging.getLogger("cxrkg.app").exception("the page %s failed", navigation.title)
    st.error(
        f"This page ran into an error ({type(exc).__name__}); the details are in the server's"
        " log. Reload the page, or try another one."
    )
