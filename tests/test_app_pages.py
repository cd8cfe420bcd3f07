"""Every page of the Streamlit app under streamlit.testing (AppTest) against a real embedded
FalkorDB with the demo and its QA; the helpers AppTest cannot see into (the box overlay and
the graph view) are tested directly."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import APP_PASSWORD, add_app_users, load_demo_with_qa, private_ontology
from PIL import Image as PILImage
from streamlit.testing.v1 import AppTest

from cxrkg.app.webapp import MAIN_SCRIPT, graphview, overlay, timeline
from cxrkg.config import Settings
from cxrkg.cypher.store import GraphStore
from cxrkg.ingest.graph_read import read_scene_graph

STUDY = "s50000001"  # patient p10000001's first study: left pleural effusion, a PA image


@pytest.fixture(scope="module")
def demo(session_store: GraphStore, settings: Settings, tmp_path_factory) -> Iterator[GraphStore]:
    """The demo with its QA in the graph, a private ontology copy, no earlier proposals, and
    the app's users (one per role) in the users file."""
    add_app_users(settings)
    with private_ontology(tmp_path_factory.mktemp("onto")):
        yield load_demo_with_qa(session_store, settings)


def signed_in(user: str = "curator", password: str = APP_PASSWORD) -> AppTest:
    """The app after `user` signed in through the sign-in form, as a visitor does."""
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="signin_name").input(user)
    at.text_input(key="signin_password").input(password)
    at.button(key="FormSubmitter:signin-Sign in").click()
    at.run()
    assert not at.exception, at.exception
    return at


def page(name: str, user: str = "curator", **state: object) -> AppTest:
    at = signed_in(user)
    for k, v in state.items():
        at.session_state[k] = v
    at.switch_page(f"views/{name}.py")
    at.run()
    assert not at.exception, at.exception
    assert not [e for e in at.error if "ran into an error" in str(e.value)], texts(at.error)
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value if hasattr(e, "value") else e.body) for e in elements)


# -- helpers the custom components hide --------------------------------------------------
def test_overlay_draws_positive_observation_boxes_in_red_and_negative_in_green(
    demo: GraphStore,
) -> None:
    sg = read_scene_graph(demo, STUDY)
    frontal = next(i for i in sg.images.values() if i.view_position == "PA")
    boxes = overlay.study_boxes(sg, frontal.image_id)
    obs_boxes = [b for b in boxes if b.kind == "observation"]
    assert obs_boxes and {b.positiveness for b in obs_boxes} <= {"pos", "neg", None}
    path = overlay.resolve_image_path(frontal.path)
    assert path is not None and path.is_file()
    pos = next(b for b in obs_boxes if b.positiveness == "pos")
    img = overlay.render_image(path, [pos], labels=False)
    x1, y1, x2, y2 = (round(v) for v in pos.xyxy)
    assert img.getpixel((x1, (y1 + y2) // 2)) == overlay.POSITIVE  # the left edge is drawn
    with PILImage.open(path) as raw:  # the inside is the untouched image
        inside = ((x1 + x2) // 2, (y1 + y2) // 2)
        assert img.getpixel(inside) == raw.convert("RGB").getpixel(inside)
    neg = overlay.Box("n", "observation", "x", frontal.image_id, pos.xyxy, "neg")
    assert overlay.render_image(path, [neg], labels=False).getpixel((x1, (y1 + y2) // 2)) == (
        overlay.NEGATIVE
    )


def test_image_without_a_file_resolves_to_none(demo: GraphStore) -> None:
    sg = read_scene_graph(demo, STUDY)
    lateral = next(i for i in sg.images.values() if i.view_position == "LATERAL")
    assert overlay.resolve_image_path(lateral.path) is None
    assert overlay.resolve_image_path("images/not-there.png") is None


def test_flat_boxes_split_per_image() -> None:
    got = overlay.flat_boxes(["a", "b"], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [1, 2])
    assert got == {"a": [(1, 2, 3, 4)], "b": [(5, 6, 7, 8), (9, 10, 11, 12)]}


def test_graph_view_has_the_study_its_observations_and_their_edges(demo: GraphStore) -> None:
    rows = demo.run_named(
        "explore/study_subgraph", {"study_id": STUDY, "limit": 2000}, read_only=True
    )
    elems = graphview.elements(rows)
    labels = graphview.labels_in(elems)
    assert {"Study", "Observation", "Sentence", "StudyRegion", "Image", "Patient"} <= set(labels)
    assert "Question" not in labels
    ids = {n["data"]["id"] for n in elems["nodes"]}
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in elems["edges"])
    assert {"HAS_OBSERVATION", "FROM_SENTENCE", "LOCATED_AT"} <= set(graphview.rel_types_in(elems))
    study = next(n["data"] for n in elems["nodes"] if n["data"]["label"] == "Study")
    assert study["study_id"] == STUDY and study["caption"] == STUDY
    json.dumps(elems)  # what the component receives must be JSON


def test_timeline_reports_new_resolved_and_persisting_findings() -> None:
    steps = timeline.timeline(
        [
            {"study_id": "a", "study_order": 1, "positive": ["effusion", "atelectasis"]},
            {
                "study_id": "b",
                "study_order": 2,
                "positive": ["effusion", "pneumonia"],
                "changes": ["effusion: decreased "],
            },
        ]
    )
    assert steps[0].new == [] and steps[1].new == ["pneumonia"]
    assert steps[1].resolved == ["atelectasis"] and steps[1].persisting == ["effusion"]
    assert steps[1].reported_changes == ["effusion: decreased"]


# -- pages -------------------------------------------------------------------------------
def test_overview_counts_the_demo(demo: GraphStore) -> None:
    at = page("overview")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Patients"] == "11" and metrics["Studies"] == "22"
    assert int(metrics["Questions"].replace(",", "")) > 0
    assert "Signed in as **curator** (curator)" in texts(at.sidebar.caption)


def test_studies_search_by_finding_includes_descendants(demo: GraphStore) -> None:
    at = page("studies")
    at.selectbox(key="f_finding").select("lung opacity")
    at.button[0].click()  # the form's Search
    at.run()
    assert not at.exception
    opened = at.selectbox(key="open_study").options
    # s50000001 has atelectasis, a descendant of lung opacity, and no 'lung opacity' itself
    assert STUDY in opened
    assert "s50000002" not in opened  # only a small effusion there


def test_studies_search_by_finding_in_a_region_keeps_only_that_side(demo: GraphStore) -> None:
    at = page("studies")
    at.selectbox(key="f_finding").select("lung opacity")
    at.selectbox(key="f_region").select("left lung")
    at.button[0].click()
    at.run()
    assert not at.exception
    opened = set(at.selectbox(key="open_study").options)
    assert STUDY in opened  # left basilar atelectasis, in the left lower lung zone
    assert "s50000009" not in opened  # right lower lung zone consolidation only
    at.selectbox(key="f_finding").select("")
    at.selectbox(key="f_region").select("right lung")
    at.button[0].click()
    at.run()
    opened = set(at.selectbox(key="open_study").options) - {STUDY}  # STUDY stays open
    assert "s50000009" in opened and "s50000011" in opened  # right-sided findings, any kind


def test_study_page_shows_report_tree_timeline_and_no_file_notice(demo: GraphStore) -> None:
    at = page("studies", open_study=STUDY)
    assert at.header[0].value == f"Study {STUDY}"
    md = texts(at.markdown)
    assert "There is a moderate left pleural effusion" in md
    assert "O01 moderate left pleural effusion" in md  # the observation badge and the tree
    assert "associated_with" in md  # a child observation with its type
    assert "new:" in md or "persisting:" in md or "reported changes" in md  # timeline
    assert "No image file for 50000001-02-lateral" in texts(at.info)
    boxes = at.multiselect(key=f"boxes_{STUDY}_50000001-01-pa_False")
    assert len(boxes.value) >= 1
    # the graph's node inspector: picking the study node shows its properties
    assert f"Study: {STUDY}" in at.selectbox(key=f"graph_{STUDY}_node").options
    study_node = demo.run("MATCH (s:Study {study_id: $s}) RETURN s", {"s": STUDY}, read_only=True)[
        0
    ]["s"]
    at.session_state[f"graph_{STUDY}_node"] = f"n{study_node.id}"
    at.run()
    shown = at.json[0].value
    assert f'"study_id": "{STUDY}"' in shown and '"label": "Study"' in shown


def test_unknown_study_in_the_url_gets_a_message_not_a_traceback(demo: GraphStore) -> None:
    at = page("studies", open_study="s99999999")
    assert not at.exception
    assert "There is no study 's99999999' in the graph." in texts(at.error)


def test_cypher_console_refuses_a_write_with_a_clear_message(demo: GraphStore) -> None:
    at = page("cypher")
    at.text_area(key="cy_text").input("CREATE (:Intruder {name: 'x'}) RETURN 1")
    at.button(key="cy_run").click()
    at.run()
    assert "Refused: this query would write to the graph" in texts(at.error)
    assert demo.run("MATCH (n:Intruder) RETURN count(n) AS n", read_only=True)[0]["n"] == 0


def test_cypher_console_runs_a_saved_query_with_its_parameters(demo: GraphStore) -> None:
    at = page("cypher")
    at.selectbox(key="cy_saved").select("explore/find_studies_by_finding")
    at.run()
    at.text_input(key="cy_p_explore/find_studies_by_finding_finding").input("pleural effusion")
    at.button(key="cy_run").click()
    at.run()
    assert not at.error, texts(at.error)
    assert any("rows" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert STUDY in set(table["study_id"])


def test_cypher_console_reports_a_syntax_error_without_a_traceback(demo: GraphStore) -> None:
    at = page("cypher")
    at.text_area(key="cy_text").input("MATCH (n RETURN n")
    at.button(key="cy_run").click()
    at.run()
    assert not at.exception
    assert "could not run this query" in texts(at.error)


def test_cypher_console_stops_a_runaway_query_at_its_time_and_memory_limits(
    demo: GraphStore,
) -> None:
    at = page("cypher")
    assert at.number_input(key="cy_timeout").value == 30  # CXRKG_QUERY_TIMEOUT_S
    at.number_input(key="cy_timeout").set_value(1)
    at.text_area(key="cy_text").input("MATCH (a), (b), (c) RETURN count(*) AS n")
    at.button(key="cy_run").click()
    at.run()
    assert not at.exception
    assert "ran past its time limit (1 s)" in texts(at.error)
    at.text_area(key="cy_text").input("UNWIND range(1, 20000000) AS x RETURN size(collect(x))")
    at.button(key="cy_run").click()
    at.run()
    assert "needed more memory than a query may use (256 MB)" in texts(at.error)


def test_qa_page_shows_a_question_with_its_answer_tree(demo: GraphStore) -> None:
    at = page("qa")
    at.text_input(key="qa_study").input(STUDY)
    at.selectbox(key="qa_type").select("D02_has_finding")
    at.button[0].click()
    at.run()
    assert not at.exception
    assert at.dataframe[0].value["study_id"].eq(STUDY).all()
    assert at.subheader[0].value.startswith(("Is there", "Are there", "Does"))
    md = texts(at.markdown)
    assert "Main answers" in md
    assert any(b.label.startswith("Download JSON") for b in at.get("download_button"))


def test_ontology_concept_page_shows_codes_and_graph_usage(demo: GraphStore) -> None:
    at = page("ontology")
    at.text_input(key="onto_search").input("pleural effusion")
    at.run()
    at.selectbox(key="onto_concept").select("pleural effusion")
    at.run()
    assert at.header[0].value == "pleural effusion"
    md = texts(at.markdown)
    assert "hydrothorax" in md and "SNOMEDCT" in md
    metrics = {m.label: int(m.value) for m in at.metric}
    assert metrics["Observations mapped"] > 0 and metrics["Studies"] > 0
    tree = next(m.value for m in at.markdown if "**pleural effusion**" in m.value)
    assert "  - loculated pleural effusion" in tree  # a child, indented under it


def test_curation_propose_then_approve_changes_the_graph(demo: GraphStore) -> None:
    at = page("ontology")
    at.text_input(key="onto_search").input("aspiration")
    at.run()
    at.selectbox(key="onto_concept").select("aspiration")
    at.run()
    at.selectbox(key="edit_op").select("reparent")
    at.run()
    parents = at.multiselect(key="edit_parents_aspiration")
    parents.select("pneumonia")
    at.text_area(key="edit_reason").input("aspiration pneumonia")
    at.run()
    at.button(key="edit_submit").click()
    at.run()
    assert "Proposal #1 submitted" in texts(at.success)

    # the curator cannot approve; the reviewer can
    at = page("proposals")
    assert at.button(key="approve_1").disabled
    at = page("proposals", user="reviewer")
    assert not at.button(key="approve_1").disabled
    at.button(key="approve_1").click()
    at.run()
    assert not at.exception and not at.error, texts(at.error)
    assert "Re-mapped studies" in texts(at.markdown)
    rows = demo.run(
        "MATCH (:Finding {name: 'aspiration'})-[:SUBCLASS_OF]->(p:Finding) RETURN p.name AS p",
        read_only=True,
    )
    assert "pneumonia" in {r["p"] for r in rows}

    # the re-mapped studies' QA is regenerated from the page
    aspiration_study = demo.run(
        "MATCH (s:Study)-[:HAS_OBSERVATION]->(:Observation)-[:HAS_ENTITY]->"
        "(:Finding {name: 'aspiration'}) RETURN s.study_id AS s",
        read_only=True,
    )[0]["s"]
    assert aspiration_study in texts(at.markdown)
    before = demo.run(
        "MATCH (:Study {study_id: $s})-[:HAS_QUESTION]->(q) RETURN collect(q.question_id) AS q",
        {"s": aspiration_study},
        read_only=True,
    )[0]["q"]
    at.button(key="regen_1").click()
    at.run()
    assert not at.exception
    assert "questions regenerated" in texts(at.success)
    after = demo.run(
        "MATCH (:Study {study_id: $s})-[:HAS_QUESTION]->(q) RETURN collect(q.question_id) AS q",
        {"s": aspiration_study},
        read_only=True,
    )[0]["q"]
    assert after and set(after) != set(before)  # pneumonia questions now cover aspiration


def test_comment_and_watch_show_on_the_start_page(demo: GraphStore) -> None:
    at = page("ontology")
    at.text_input(key="onto_search").input("pneumothorax")
    at.run()
    at.selectbox(key="onto_concept").select("pneumothorax")
    at.run()
    at.toggle(key="watch_finding_pneumothorax").set_value(True)
    at.run()
    at.text_area(key="comment_text_finding_pneumothorax").input("Tension signs belong here?")
    at.button(key="FormSubmitter:comment_finding_pneumothorax-Post comment").click()
    at.run()
    assert not at.exception
    assert "Tension signs belong here?" in texts(at.markdown)
    start = page("overview")
    assert "finding:pneumothorax" in texts(start.markdown)
    feed = start.dataframe[0].value
    assert "Tension signs belong here?" in set(feed["reason"])


def test_reviewer_restores_the_version_before_a_change(demo: GraphStore, settings) -> None:
    from cxrkg.app.collab import Collab
    from cxrkg.ontology import load_ontology
    from cxrkg.ontology.curation import Edit, history

    collab = Collab()
    p = collab.propose(
        Edit("add_synonym", "finding", "pneumothorax", {"synonym": "collapsed lung air"}),
        "curator",
        "heard on the ward",
    )
    collab.approve(p.id, "reviewer", store=demo)
    change = history()[-1]
    assert "collapsed lung air" in load_ontology().findings["pneumothorax"].synonyms

    at = page("proposals", user="reviewer")
    at.button(key=f"restore_{change.id}").click()
    at.run()
    assert not at.exception and not at.error, texts(at.error)
    assert "collapsed lung air" not in load_ontology().findings["pneumothorax"].synonyms
    synonyms = demo.run(
        "MATCH (f:Finding {name: 'pneumothorax'}) RETURN f.synonyms AS s", read_only=True
    )[0]["s"]
    assert "collapsed lung air" not in synonyms  # the graph was re-synced
    assert history()[-1].op == "restore" and history()[-1].user == "reviewer"
