"""Studies whose write would clash with what is stored are refused by name, one after
another on the same server, and nothing stored changes (issue 11, item 1).

FalkorDB rolls a failed statement's deletes back wrongly (restored nodes get new ids and
edges land on other nodes; a second failed replace crashed the server), so the loader
must refuse these before it writes anything. After every clash the server must answer
and every stored study must still equal its source, node for node and edge for edge.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from conftest import load_demo_with_qa
from pydantic import ValidationError
from test_ingest import demo_graphs

from cxrkg.demo.replicate import replicate
from cxrkg.ingest.graph_rows import study_rows
from cxrkg.ingest.load import load_scene_graphs
from cxrkg.ingest.model import SceneGraph
from cxrkg.ingest.verify import stored_differences


def edited(sg: SceneGraph, change: Callable[[dict], None] | None = None, **text: str) -> SceneGraph:
    """A copy of `sg` with JSON text replaced (`old=new`, ids everywhere) and `change` applied."""
    dumped = json.dumps(sg.model_dump(mode="json"))
    for old, new in text.items():
        dumped = dumped.replace(f'"{old}"', f'"{new}"')
    data = json.loads(dumped)
    if change:
        change(data)
    return SceneGraph.model_validate(data).with_origin(f"{sg.study_id}-edited.json")


def renamed(sg: SceneGraph, study_id: str, **text: str) -> SceneGraph:
    """A copy of a demo study under a new study and patient id, its images renamed."""
    images = {i: f"{study_id}-{i}" for i in sg.images}
    copy = edited(sg, **images, **text)
    data = copy.model_dump(mode="json")
    data["study_id"], data["patient_id"] = study_id, f"p-{study_id}"
    return SceneGraph.model_validate(data).with_origin(f"{study_id}.json")


@pytest.fixture(scope="module")
def demo() -> dict[str, SceneGraph]:
    return {g.study_id: g for g in demo_graphs()}


def clash_cases(
    current: dict[str, SceneGraph], tag: str
) -> list[tuple[str, list[SceneGraph], list[str], str | tuple[str, ...]]]:
    """(name, studies to load, studies that must be refused, words the reason must hold),
    made from the studies as currently stored; `tag` keeps new ids new in every round."""
    s1, s2, s3, s4, s5 = (current[f"s5000000{i}"] for i in range(1, 6))
    lateral = next(i for i in s2.images if "lateral" in i)
    lone = "\ud800"

    def deep_child(d: dict) -> None:
        d["observations"]["O01"]["child_level"] = 10**30

    def nan_box(d: dict) -> None:
        loc = next(o["localization"] for o in d["observations"].values() if o["localization"])
        next(iter(loc.values()))["bboxes"] = [[float("nan"), 1.0, 2.0, 3.0]]

    def lone_surrogate(d: dict) -> None:
        d["sentences"]["S01"]["sentence"] = f"broken {lone} text"

    def answer_is_o01(d: dict) -> None:
        d["indication"]["answer_for_indication"]["obs_id"] = "O01"

    def localize_on(image: str) -> Callable[[dict], None]:
        def change(d: dict) -> None:
            obs = next(o for o in d["observations"].values() if o["localization"])
            obs["localization"][image] = {"image_id": image, "bboxes": [[1, 2, 3, 4]]}

        return change

    def accepted(sg: SceneGraph, change: Callable[[dict], None]) -> SceneGraph | None:
        """The edited study, or None where the model itself refuses the value (then no
        loader ever sees it)."""
        try:
            return edited(sg, change)
        except ValidationError:
            return None

    cases = [
        (
            "a stored study re-sent with another stored study's image id",
            [edited(s1, **{"50000001-01-pa": "50000002-01-pa"})],
            ["s50000001"],
            "image id '50000002-01-pa' already belongs to study s50000002",
        ),
        (
            "a stored study re-sent with its indication answer's obs_id set to O01",
            [edited(s1, answer_is_o01)],
            ["s50000001"],
            "'O01' is also the id of observations.O01",
        ),
        (
            "a new study declaring a stored study's image",
            [renamed(s4, "s-new-image", **{"s-new-image-50000004-01-ap": "50000003-01-pa"})],
            ["s-new-image"],
            "image id '50000003-01-pa' already belongs to study s50000003",
        ),
        (
            "a stored study re-sent with a box on another study's image",
            [edited(s3, localize_on("50000004-01-ap"))],
            ["s50000003"],
            "image id '50000004-01-ap' already belongs to study s50000004",
        ),
        (
            "two new studies sharing an image",
            [
                renamed(s4, f"s-twin-a{tag}", **{f"s-twin-a{tag}-50000004-01-ap": f"twin{tag}"}),
                renamed(s4, f"s-twin-b{tag}", **{f"s-twin-b{tag}-50000004-01-ap": f"twin{tag}"}),
            ],
            [f"s-twin-b{tag}"],
            (f"image id 'twin{tag}'", f"belongs to study s-twin-a{tag}"),
        ),
        (
            "two stored studies re-sent in one batch, one taking the image the other gives up",
            [
                edited(s1, **{"50000001-02-lateral": lateral}),
                edited(s2, **{lateral: f"50000002-lateral{tag}"}),
            ],
            ["s50000001"],
            f"image id '{lateral}' already belongs to study s50000002",
        ),
        (
            "a stored study re-sent with a child level past 64-bit integers",
            [accepted(s5, deep_child)],
            ["s50000005"],
            "outside the 64-bit integer range",
        ),
        (
            "a stored study re-sent with NaN in a box",
            [accepted(s5, nan_box)],
            ["s50000005"],
            "not a finite number",
        ),
        (
            "a stored study re-sent with a lone surrogate in a sentence",
            [accepted(s5, lone_surrogate)],
            ["s50000005"],
            "not valid Unicode",
        ),
    ]
    return [case for case in cases if all(case[1])]


def test_many_clashes_in_a_row_are_refused_by_name_and_change_nothing_stored(store, settings, demo):
    load_demo_with_qa(store, settings)
    expected = dict(demo)  # what the graph must hold for each stored study
    # An id with a '/' (which could compose another study's `study/local` key) never gets
    # this far: the model refuses it (tests/test_hostile_input.py).
    questions = store.run("MATCH (q:Question) RETURN count(q) AS n", read_only=True)[0]["n"]
    assert questions > 0

    fresh = iter(replicate(list(demo.values()), 100, start=9000))
    tried = 0
    for round_ in range(2):  # the second round: across batches of one study each
        for name, studies, refused, reason in clash_cases(expected, f"-{round_}"):
            valid = next(fresh)  # each clash beside a valid new study, as in the report
            batch_size = 1 if round_ else None
            report = load_scene_graphs(
                store, [*studies, valid], progress=False, batch_size=batch_size
            )
            tried += 1
            assert store.server.ping(), f"the server died on: {name}"
            got = {r.study_id: r.reason for r in report.rejected}
            assert sorted(got) == sorted(refused), f"{name}: {report.summary()}"
            words = (reason,) if isinstance(reason, str) else reason
            assert all(w in got[sid] for sid in refused for w in words), f"{name}: {got}"
            assert valid.study_id in report.loaded, name
            for sg in studies:
                if sg.study_id in report.loaded:
                    expected[sg.study_id] = sg
            expected[valid.study_id] = valid
            stored = [(sg, study_rows(sg)) for sg in expected.values()]
            assert stored_differences(store, stored) == {}, f"stored studies changed by: {name}"
    assert tried == 2 * len(clash_cases(expected, "-x"))
    # Studies no clash replaced keep their generated QA.
    kept = store.run(
        "MATCH (:Study {study_id: 's50000008'})-[:HAS_QUESTION]->(q) RETURN count(q) AS n",
        read_only=True,
    )
    assert kept[0]["n"] > 0
