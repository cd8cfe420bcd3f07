"""The curation workflow as a library (app/collab.py): propose → review → the ontology file and
the graph change; comments and watches. Against a real embedded FalkorDB with the demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import private_ontology

from cxrkg.app.collab import Collab, CollabError
from cxrkg.app.demo import load_demo
from cxrkg.config import Settings, User
from cxrkg.cypher.store import GraphStore
from cxrkg.ontology import load_ontology
from cxrkg.ontology.curation import Edit, history

TARGET = "spinal degenerative changes"


@pytest.fixture(scope="module")
def own_ontology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Curation edits a private copy of the ontology, so no other test sees them."""
    with private_ontology(tmp_path_factory.mktemp("onto")) as path:
        yield path


@pytest.fixture(scope="module")
def demo(session_store: GraphStore, own_ontology: Path) -> GraphStore:
    session_store.clear()
    session_store.setup_schema()
    load_demo(session_store, progress=False)
    return session_store


@pytest.fixture()
def collab(settings: Settings, tmp_path: Path) -> Collab:
    team = settings.model_copy(
        update={
            "users": [
                User(name="ana", role="curator"),
                User(name="ben", role="reviewer"),
                User(name="cho", role="reviewer"),
                User(name="dev", role="viewer"),
            ]
        }
    )
    return Collab(team, folder=tmp_path / "collab")


def synonym_edit(synonym: str) -> Edit:
    return Edit("add_synonym", "finding", TARGET, {"synonym": synonym})


def studies_under(store: GraphStore, finding: str) -> set[str]:
    rows = store.run_named(
        "explore/find_studies_by_finding",
        {
            "finding": finding,
            "positiveness": "",
            "patient_id": "",
            "split": "",
            "grade": "",
            "skip": 0,
            "limit": 1000,
        },
        read_only=True,
    )
    return {r["study_id"] for r in rows}


def test_approved_reparent_is_written_to_the_ontology_and_changes_the_graph(
    demo: GraphStore, collab: Collab
) -> None:
    # A curator files aspiration under pneumonia too (aspiration pneumonia); a search for
    # pneumonia, which includes its descendants, must then find the aspiration study.
    child, new_parent = "aspiration", "pneumonia"
    child_studies = studies_under(demo, child)
    assert child_studies and not child_studies <= studies_under(demo, new_parent)
    parents = [*load_ontology().findings[child].parents, new_parent]
    version = demo.version()

    p = collab.propose(
        Edit("reparent", "finding", child, {"parents": parents}), "ana", "aspiration pneumonia"
    )
    assert p.status == "pending" and p.author == "ana"
    assert new_parent not in load_ontology().findings[child].parents  # not applied yet
    assert not child_studies <= studies_under(demo, new_parent)

    done = collab.approve(p.id, "ben", store=demo, note="agreed")

    assert done.status == "approved" and done.reviewer == "ben"
    assert new_parent in load_ontology().findings[child].parents
    assert child_studies <= studies_under(demo, new_parent)  # the graph's hierarchy changed
    assert demo.version() > version  # caches keyed on the version see the change
    last = history()[-1]
    assert last.user == "ana" and "approved by ben" in last.reason
    assert collab.proposal(p.id).status == "approved"  # persisted


def test_a_proposal_needs_a_reason_and_a_valid_edit(demo: GraphStore, collab: Collab) -> None:
    with pytest.raises(CollabError, match="reason"):
        collab.propose(synonym_edit("spine oa"), "ana", "  ")
    with pytest.raises(CollabError, match="invalid|no finding|unknown|not"):
        collab.propose(
            Edit("add_synonym", "finding", "no such finding", {"synonym": "x"}), "ana", "why"
        )
    with pytest.raises(CollabError, match="viewer"):
        collab.propose(synonym_edit("spine oa"), "dev", "why")
    assert collab.proposals() == []


def test_only_another_reviewer_can_approve(demo: GraphStore, collab: Collab) -> None:
    p = collab.propose(synonym_edit("spondylosis of the spine"), "ben", "common wording")
    with pytest.raises(CollabError, match="a curator cannot approve"):
        collab.approve(p.id, "ana")
    with pytest.raises(CollabError, match="other than its author"):
        collab.approve(p.id, "ben")
    assert collab.proposal(p.id).status == "pending"
    collab.approve(p.id, "cho")
    with pytest.raises(CollabError, match="already approved"):
        collab.approve(p.id, "cho")


def test_rejected_proposal_leaves_the_ontology_unchanged(demo: GraphStore, collab: Collab) -> None:
    before = load_ontology().version
    p = collab.propose(synonym_edit("djd"), "ana", "abbreviation")
    with pytest.raises(CollabError, match="say why"):
        collab.reject(p.id, "ben", "")
    r = collab.reject(p.id, "ben", "too ambiguous")
    assert r.status == "rejected" and r.review_note == "too ambiguous"
    assert load_ontology().version == before


def test_comments_form_a_thread_per_target(collab: Collab) -> None:
    collab.comment("finding:pleural effusion", "ana", "Should 'fluid' be a synonym?")
    collab.comment("finding:pleural effusion", "ben", "No: too broad.")
    collab.comment("proposal:1", "ben", "other thread")
    thread = collab.comments("finding:pleural effusion")
    assert [(c.user, c.text) for c in thread] == [
        ("ana", "Should 'fluid' be a synonym?"),
        ("ben", "No: too broad."),
    ]
    with pytest.raises(CollabError, match="some text"):
        collab.comment("finding:pleural effusion", "ana", " ")
    with pytest.raises(CollabError, match="not a user"):
        collab.comment("finding:pleural effusion", "mallory", "hi")


def test_watchers_see_changes_proposals_and_comments_on_their_concepts(
    demo: GraphStore, collab: Collab
) -> None:
    key = f"finding:{TARGET}"
    collab.watch("ben", key)
    assert collab.watched("ben") == [key]
    collab.propose(synonym_edit("spinal spondylosis"), "ana", "seen in reports")
    collab.comment(key, "ana", "see my proposal")
    feed = collab.feed("ben")
    whats = [e["what"] for e in feed]
    assert any(w.startswith("proposal #") and "pending" in w for w in whats)
    assert "comment" in whats
    assert any(w.startswith("changed:") for w in whats)  # the approved synonym, earlier
    assert collab.feed("ana") == []  # ana watches nothing
    collab.watch("ben", key, on=False)
    assert collab.watched("ben") == [] and collab.feed("ben") == []
