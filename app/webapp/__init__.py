"""The Streamlit app: study, QA, Cypher, ontology-curation and overview pages over the graph store.

`cxrkg app` runs `main.py`; the plain-Python helpers (`overlay`, `graphview`, `timeline`,
`data`) hold the logic and are tested without a browser.
"""

from pathlib import Path

MAIN_SCRIPT = Path(__file__).with_name("main.py")
