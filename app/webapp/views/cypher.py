"""Cypher console: read-only queries (a write is refused), the saved queries of
`cypher/explore/` with their parameters, results as a table and a graph, and export."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from cxrkg.app.webapp import data, graphview, widgets
from cxrkg.cypher.queries import list_queries
from cxrkg.cypher.store import QueryLimitExceeded, ReadOnlyViolation, StoreError, to_jsonable

user = data.user_sidebar()  # first: nothing shows before the sign-in
st.title("Cypher console")
st.caption(
    "Queries run read-only: the store refuses anything that writes. "
    "Saved queries live in `cypher/explore/` and run with `cxrkg query NAME -p k=v` too."
)

NUMERIC = ("limit", "skip", "min", "max", "top", "n")


def parse_param(name: str, raw: str) -> object:
    """A parameter from its text box: JSON lists and maps as such, numbers where the name says
    a number is meant (limit, skip...), text otherwise, so a numeric id stays a string."""
    text = raw.strip()
    if text[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    if name in NUMERIC or name.startswith(("min_", "max_")):
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return raw
    return raw


saved = {q.name: q for q in list_queries("explore")}
choice = st.selectbox(
    "Saved query",
    ["(write your own)", *saved],
    key="cy_saved",
    format_func=lambda n: n if n not in saved else f"{n.split('/', 1)[1]} — {saved[n].description}",
)
params: dict[str, object] = {}
if choice in saved:
    q = saved[choice]
    if st.session_state.get("_cy_loaded") != choice:
        st.session_state["_cy_loaded"] = choice
        st.session_state["cy_text"] = "\n".join(
            ln for ln in q.text.splitlines() if not ln.strip().startswith("//")
        ).strip()
    st.info(q.description)
    if q.params:
        cols = st.columns(min(3, len(q.params)))
        for i, name in enumerate(q.params):
            doc = q.param_docs.get(name, "")
            default = 0 if name == "skip" else 50 if name == "limit" else ""
            raw = cols[i % len(cols)].text_input(
                f"${name}", value=str(default), help=doc or None, key=f"cy_p_{choice}_{name}"
            )
            if doc:
                cols[i % len(cols)].caption(doc)
            params[name] = parse_param(name, raw)

text = st.text_area(
    "Query",
    key="cy_text",
    height=180,
    placeholder="MATCH (s:Study)-[:HAS_OBSERVATION]->(o:Observation) RETURN s, o LIMIT 25",
)
c1, c2, c3 = st.columns([1, 1, 2])
max_rows = c1.number_input("Row limit", 1, 100_000, 1000, step=100, key="cy_limit")
# Every read has the configured time limit and the store's per-query memory limit.
timeout_s = c2.number_input(
    "Timeout (s)",
    1,
    600,
    int(min(max(data.settings().query_timeout_s, 1), 600)),
    key="cy_timeout",
    help=f"memory limit per query: {data.settings().query_memory_mb} MB (CXRKG_QUERY_MEMORY_MB)",
)
run = c3.button("Run", type="primary", key="cy_run")

if run:
    if not text.strip():
        st.warning("Write a query or pick a saved one first.")
    else:
        try:
            rows = data.store().run(
                text, params, read_only=True, timeout_ms=int(timeout_s * 1000), name=None
            )
            st.session_state["cy_result"] = (text, rows)
        except ReadOnlyViolation:
            st.session_state.pop("cy_result", None)
            st.error(
                "Refused: this query would write to the graph. The console is read-only; "
                "change the graph with `cxrkg ingest`, `cxrkg ontology` or the Ontology page."
            )
        except QueryLimitExceeded as exc:
            st.session_state.pop("cy_result", None)
            st.error(f"Stopped: {exc}")
        except StoreError as exc:
            st.session_state.pop("cy_result", None)
            st.error(f"The store could not run this query: {exc}")

result = st.session_state.get("cy_result")
if result:
    _, rows = result
    total = len(rows)
    rows = rows[: int(max_rows)]
    st.success(f"{total} rows" + (f" (showing the first {len(rows)})" if total > len(rows) else ""))
    jsonable = [to_jsonable(r) for r in rows]
    tab_table, tab_graph = st.tabs(["Table", "Graph"])
    with tab_table:
        if rows:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            k: json.dumps(v) if isinstance(v, dict | list) else v
                            for k, v in r.items()
                        }
                        for r in jsonable
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
    with tab_graph:
        if graphview.has_graph(rows):
            widgets.graph_view(graphview.elements(rows), key="cy_graph")
        else:
            st.caption("The result has no nodes or relationships to draw.")
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download JSON",
        json.dumps(jsonable, indent=1, default=str),
        "result.json",
        "application/json",
        key="cy_dl_json",
    )
    d2.download_button(
        "Download CSV",
        pd.DataFrame(
            [
                {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in r.items()}
                for r in jsonable
            ]
        ).to_csv(index=False),
        "result.csv",
        "text/csv",
        key="cy_dl_csv",
    )
