"""Ingestion of QBA and Chest ImaGenome scene graphs into a real embedded FalkorDB."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from cxrkg.app.demo import demo_dir
from cxrkg.ingest.graph_read import read_scene_graph
from cxrkg.ingest.graph_stats import graph_stats
from cxrkg.ingest.load import IngestError, ingest_imagenome, ingest_qba, load_scene_graphs
from cxrkg.ingest.model import SceneGraph
from cxrkg.ingest.sources.qba import QBASource

DATA = Path(__file__).parent / "data"
DEMO_STUDY = "p10/p10000004/s50000008"  # consolidation with two levels of child observations


def demo_graphs() -> list[SceneGraph]:
    return [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]


def copy_demo(tmp_path: Path, *studies: str) -> Path:
    """A QBA tree holding the given demo studies (all of them if none are named)."""
    root = tmp_path / "qba"
    if not studies:
        shutil.copytree(demo_dir(), root)
        return root
    for rel in studies:
        for suffix in (".scene_graph.json", ".metadata.json"):
            src = demo_dir() / f"{rel}{suffix}"
            dst = root / f"{rel}{suffix}"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    return root


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def study_counts(store, study_id: str) -> dict[str, int]:
    rows = store.run(
        "MATCH (s:Study {study_id: $sid})-[r]->(x) RETURN type(r) AS t, count(x) AS n",
        {"sid": study_id},
        read_only=True,
    )
    return {r["t"]: r["n"] for r in rows}


def test_every_demo_study_round_trips_through_the_graph_unchanged(store):
    graphs = demo_graphs()
    report = load_scene_graphs(store, graphs, progress=False)
    assert len(report.loaded) == len(graphs) == 22 and not report.rejected
    for sg in graphs:
        assert read_scene_graph(store, sg.study_id).model_dump() == sg.model_dump()


def test_empty_lists_are_not_stored_and_read_back_empty(store):
    graphs = demo_graphs()
    load_scene_graphs(store, graphs, progress=False)
    sg = next(g for g in graphs if any(o.changes == [] for o in g.observations.values()))
    oid = next(k for k, o in sg.observations.items() if o.changes == [])
    stored = store.run(
        "MATCH (o:Observation {key: $key}) RETURN o.changes AS changes",
        {"key": f"{sg.study_id}/{oid}"},
        read_only=True,
    )
    assert stored == [{"changes": None}]
    for query in (
        "MATCH (o:Observation) WHERE o.changes = [] OR o.non_resolved_entities = [] RETURN count(o) AS n",
        "MATCH ()-[l:LOCALIZED_IN]->() WHERE l.missing_localization = [] RETURN count(l) AS n",
    ):
        assert store.run(query, read_only=True) == [{"n": 0}], query
    assert (
        store.run(
            "MATCH ()-[l:LOCALIZED_IN]->() WHERE l.missing_localization IS NULL RETURN count(l) AS n",
            read_only=True,
        )[0]["n"]
        > 0
    )
    assert read_scene_graph(store, sg.study_id).observations[oid].changes == []


def test_unknown_fields_are_kept_through_the_graph(store):
    sg = demo_graphs()[0]
    data = sg.model_dump(mode="json")
    data["site_note"] = {"scanner": "X1", "dose": [1, 2]}
    data["observations"]["O01"]["reader_flag"] = "second read"
    data["sentences"]["S01"]["tokens"] = 7
    data["obs_relations"][0]["confidence"] = 0.9
    data["obs_sent_relations"][0]["span"] = [0, 12]
    data["region_region_relations"][0]["source"] = "atlas"
    data["located_at_relations"][0]["hedged"] = True
    richer = SceneGraph.model_validate(data)
    load_scene_graphs(store, [richer], progress=False)
    back = read_scene_graph(store, sg.study_id)
    assert back.extras()["site_note"] == {"scanner": "X1", "dose": [1, 2]}
    assert back.observations["O01"].extras() == {"reader_flag": "second read"}
    assert back.sentences["S01"].extras() == {"tokens": 7}
    assert back.obs_relations[0].extras() == {"confidence": 0.9}
    assert back.obs_sent_relations[0].extras() == {"span": [0, 12]}
    assert back.region_region_relations[0].extras() == {"source": "atlas"}
    assert back.located_at_relations[0].extras() == {"hedged": True}
    assert back.model_dump() == richer.model_dump()


def test_loading_the_same_files_twice_leaves_the_same_graph(store, tmp_path):
    root = copy_demo(tmp_path)
    first = ingest_qba(store, root, progress=False)
    before = graph_stats(store)
    second = ingest_qba(store, root, progress=False)
    assert len(first.loaded) == 22
    assert second.loaded == [] and len(second.unchanged) == 22
    assert graph_stats(store) == before


def test_a_changed_study_replaces_its_old_subgraph_without_duplicates(store, tmp_path):
    root = copy_demo(tmp_path, DEMO_STUDY)
    ingest_qba(store, root, progress=False)
    before = study_counts(store, "s50000008")
    path = root / f"{DEMO_STUDY}.scene_graph.json"
    data = json.loads(path.read_text())
    data["observations"]["O03"]["name"] = "left lung clear"
    path.write_text(json.dumps(data))
    report = ingest_qba(store, root, progress=False)
    assert report.loaded == ["s50000008"]
    assert study_counts(store, "s50000008") == before
    names = store.run(
        "MATCH (:Study {study_id: 's50000008'})-[:HAS_OBSERVATION]->(o {obs_id: 'O03'})"
        " RETURN o.name AS name"
    )
    assert names == [{"name": "left lung clear"}]


def test_a_study_that_fails_mid_write_leaves_no_trace_and_the_rest_load(store, tmp_path):
    root = copy_demo(
        tmp_path, "p10/p10000001/s50000001", "p10/p10000001/s50000002", "p10/p10000003/s50000006"
    )
    # s50000002 claims an image that belongs to s50000001: the unique constraint on
    # Image.image_id fails the write after its Study, sentences and observations were created.
    bad = root / "p10/p10000001/s50000002.scene_graph.json"
    data = json.loads(bad.read_text())
    data["images"]["50000001-01-pa"] = data["images"].pop("50000002-01-pa")
    bad.write_text(json.dumps(data).replace("50000002-01-pa", "50000001-01-pa"))
    report = ingest_qba(store, root, progress=False, batch_size=10)
    assert sorted(report.loaded) == ["s50000001", "s50000006"]
    assert [r.study_id for r in report.rejected] == ["s50000002"]
    assert "50000001-01-pa" in report.rejected[0].reason
    assert "s50000001" in report.rejected[0].reason
    assert store.run("MATCH (s:Study {study_id: 's50000002'}) RETURN count(s) AS n") == [{"n": 0}]
    assert store.run(
        "MATCH (o:Observation) WHERE o.study_id = 's50000002' RETURN count(o) AS n"
    ) == [{"n": 0}]
    good = read_scene_graph(store, "s50000001")
    assert (
        good.model_dump()
        == next(g for g in QBASource(root) if g.study_id == "s50000001").model_dump()
    )


@pytest.mark.parametrize(
    ("damage", "field", "reason"),
    [
        (
            lambda p: p.write_text('{"patient_id": "p10000004", "study_id": '),
            None,
            "malformed JSON at line 1",
        ),
        (
            lambda p: p.write_bytes(
                p.read_bytes().replace(b"dense consolidation", b"dense consolidation \xff\xfe")
            ),
            None,
            "not UTF-8 text",
        ),
        (
            lambda p: p.write_text(
                json.dumps(
                    {k: v for k, v in json.loads(p.read_text()).items() if k != "patient_id"}
                )
            ),
            "patient_id",
            "Field required",
        ),
        (
            lambda p: edit_json(p, lambda d: d["obs_sent_relations"][4].update(sentence_id="S99")),
            None,
            "obs_sent_relations[4].sentence_id: unknown sentence 'S99'",
        ),
        (
            lambda p: edit_json(
                p, lambda d: d["located_at_relations"][0].update(region="left lungs")
            ),
            None,
            "located_at_relations[0].region: unknown region 'left lungs'",
        ),
    ],
    ids=["malformed-json", "non-utf8", "missing-field", "dangling-sentence", "dangling-region"],
)
def test_bad_study_is_rejected_naming_file_study_and_field_while_others_load(
    store, tmp_path, damage, field, reason
):
    root = copy_demo(tmp_path, DEMO_STUDY, "p10/p10000003/s50000006")
    ingest_qba(store, root, progress=False)  # both good first: nothing may be damaged later
    before = read_scene_graph(store, "s50000008")
    bad = root / f"{DEMO_STUDY}.scene_graph.json"
    damage(bad)
    report = ingest_qba(store, root, progress=False)
    assert len(report.rejected) == 1
    rejected = report.rejected[0]
    assert rejected.file == str(bad) and rejected.study_id == "s50000008"
    assert rejected.field == field
    assert reason in rejected.reason
    assert report.unchanged == ["s50000006"]
    assert read_scene_graph(store, "s50000008") == before  # the stored study is untouched
    assert "s50000008" in report.summary() and "rejected" in report.summary()


def test_strict_mode_stops_at_the_first_bad_study(store, tmp_path):
    root = copy_demo(tmp_path, DEMO_STUDY)
    (root / f"{DEMO_STUDY}.scene_graph.json").write_text("{oops")
    with pytest.raises(IngestError, match="s50000008.*--strict"):
        ingest_qba(store, root, progress=False, strict=True)


def test_a_zip_is_read_in_place_and_junk_members_are_ignored_or_rejected(store, tmp_path):
    root = copy_demo(tmp_path)
    archive = tmp_path / "scene_data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(root.rglob("*.json")):
            zf.write(file, file.relative_to(root).as_posix())
        zf.writestr("README.txt", "not a scene graph")
        zf.writestr("__MACOSX/._junk", b"\x00\x01")
        zf.writestr("p19/p19999999/s59999999.scene_graph.json", b"\x89PNG\r\n\x1a\n")
    report = ingest_qba(store, archive, progress=False)
    assert len(report.loaded) == 22
    assert [(r.study_id, r.reason.split(" (")[0]) for r in report.rejected] == [
        ("s59999999", "not UTF-8 text")
    ]
    assert report.rejected[0].file.endswith(
        "scene_data.zip!p19/p19999999/s59999999.scene_graph.json"
    )


def test_an_unreadable_input_says_what_is_wrong(store, tmp_path):
    with pytest.raises(IngestError, match="no such file or folder"):
        ingest_qba(store, tmp_path / "missing", progress=False)
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(IngestError, match="broken.zip"):
        ingest_qba(store, tmp_path / "broken.zip", progress=False)


def test_metadata_json_fills_split_order_and_the_patient_timeline(store):
    load_scene_graphs(store, demo_graphs(), progress=False)
    chain = store.run(
        "MATCH (:Patient {patient_id: 'p10000001'})-[:HAS_STUDY]->(a:Study)"
        "-[:NEXT_STUDY]->(b:Study) RETURN a.study_id AS a, b.study_id AS b ORDER BY a"
    )
    assert chain == [{"a": "s50000001", "b": "s50000002"}, {"a": "s50000002", "b": "s50000003"}]
    split = store.run("MATCH (s:Study {study_id: 's50000008'}) RETURN s.split AS split")
    assert split == [{"split": "test"}]


def test_imagenome_images_of_one_study_merge_and_comparisons_link_to_the_previous_study(store):
    report = ingest_imagenome(store, DATA / "imagenome", progress=False)
    assert sorted(report.loaded) == ["s56000001", "s56000002"] and not report.rejected
    sg = read_scene_graph(store, "s56000002")
    assert sorted(sg.images) == [
        "bbbb0002-11111111-22222222-33333333-44444444",
        "cccc0003-11111111-22222222-33333333-44444444",
    ]
    assert sg.images["cccc0003-11111111-22222222-33333333-44444444"].view_position == "AP"
    lll = sg.regions["left lower lung zone"].localization
    assert lll["cccc0003-11111111-22222222-33333333-44444444"].bboxes == [
        (1340.0, 1700.0, 2340.0, 2300.0)
    ]
    # one phrase, two labels: one observation with both findings, one answer per phrase
    atelectasis = next(o for o in sg.observations.values() if "atelectasis" in o.obs_entities)
    assert atelectasis.obs_entities == ["lung opacity", "atelectasis"]
    assert atelectasis.positiveness == "pos" and atelectasis.changes == ["improved"]
    assert atelectasis.modifiers["severity"] == ["mild"]
    # subcategories from the ontology (ImaGenome gives only a category): B08-B11 apply
    assert atelectasis.obs_subcategories == ["LUNG_FIELD", "LUNG_VOLUME"]
    # the indication's answer is built from the report's observations
    answer = sg.indication.answer_for_indication
    assert answer is not None and answer.name == "lung opacity and atelectasis"
    assert sg.indication.indication == "Cough, follow-up."
    heart = next(
        o for o in sg.observations.values() if o.obs_entities == ["enlarged cardiac silhouette"]
    )
    assert heart.positiveness == "neg" and heart.name == "no enlarged cardiac silhouette"
    assert len(sg.comparison_relations) == 2
    edges = store.run(
        "MATCH (a:StudyRegion)-[c:COMPARED_WITH]->(b:StudyRegion) "
        "RETURN a.key AS cur, b.key AS prev, c.changes AS changes ORDER BY c.relationship_id"
    )
    assert (
        edges
        == [
            {
                "cur": "s56000002/left lower lung zone",
                "prev": "s56000001/left lower lung zone",
                "changes": ["improved"],
            }
        ]
        * 2
    )
    assert store.run(
        "MATCH (a:Study)-[:NEXT_STUDY]->(b:Study) RETURN a.study_id AS a, b.study_id AS b"
    ) == [{"a": "s56000001", "b": "s56000002"}]


def test_imagenome_comparisons_link_even_when_the_previous_study_loads_later(store, tmp_path):
    folder = tmp_path / "later"
    folder.mkdir()
    for f in (DATA / "imagenome").glob("[bc]*_SceneGraph.json"):  # the second study only
        shutil.copy(f, folder)
    ingest_imagenome(store, folder, progress=False)
    assert store.run("MATCH ()-[c:COMPARED_WITH]->() RETURN count(c) AS n") == [{"n": 0}]
    report = ingest_imagenome(store, DATA / "imagenome", progress=False)
    assert report.loaded == ["s56000001"] and report.unchanged == ["s56000002"]
    assert store.run("MATCH ()-[c:COMPARED_WITH]->() RETURN count(c) AS n") == [{"n": 2}]


def test_verify_reports_studies_changed_in_the_graph_and_writes_them_again(store):
    graphs = demo_graphs()
    load_scene_graphs(store, graphs, progress=False)
    # Someone with access to the store changes three studies after loading.
    store.run("MATCH (s:Study {study_id: 's50000008'}) SET s.grade = 'F'")
    store.run(
        "MATCH (:Study {study_id: 's50000003'})-[:HAS_OBSERVATION]->(o)-[e:FROM_SENTENCE]->()"
        " WITH e LIMIT 1 DELETE e"
    )
    store.run(
        "MATCH (:Study {study_id: 's50000005'})-[:HAS_OBSERVATION]->(o {obs_id: 'O01'})"
        " SET o.name = 'nothing to see'"
    )
    plain = load_scene_graphs(store, graphs, progress=False)
    assert len(plain.unchanged) == 22  # the content hash alone cannot tell

    checked = load_scene_graphs(store, graphs, progress=False, verify=True)
    why = dict(checked.repaired)
    assert sorted(why) == ["s50000003", "s50000005", "s50000008"]
    assert "grade is 'F' in the graph" in why["s50000008"]
    assert "FROM_SENTENCE" in why["s50000003"]
    assert "name is 'nothing to see' in the graph" in why["s50000005"]
    assert sorted(checked.loaded) == sorted(why) and len(checked.unchanged) == 19
    assert "3 stored studies differed from their source" in checked.summary()
    for sg in graphs:
        assert read_scene_graph(store, sg.study_id).model_dump() == sg.model_dump()
    again = load_scene_graphs(store, graphs, progress=False, verify=True)
    assert again.repaired == [] and len(again.unchanged) == 22


def test_a_study_sent_again_under_another_patient_leaves_the_old_one(store, settings):
    from cxrkg.cypher.store import FalkorDBStore
    from cxrkg.ingest.verify import graph_differences

    graphs = demo_graphs()
    load_scene_graphs(store, graphs, progress=False)
    moved = {"s50000003": "p10000009", "s50000010": "p10000009"}  # s50000010: p10000005's only
    edited = [
        SceneGraph.model_validate({**sg.model_dump(), "patient_id": moved[sg.study_id]})
        if sg.study_id in moved
        else sg
        for sg in graphs
    ]
    report = load_scene_graphs(store, edited, progress=False)
    assert sorted(report.loaded) == sorted(moved)

    owners = store.run(
        "MATCH (p:Patient)-[:HAS_STUDY]->(s:Study) WHERE s.study_id IN $ids"
        " RETURN s.study_id AS s, collect(p.patient_id) AS patients ORDER BY s",
        {"ids": list(moved)},
    )
    assert owners == [
        {"s": "s50000003", "patients": ["p10000009"]},
        {"s": "s50000010", "patients": ["p10000009"]},
    ]
    chain = "MATCH (:Patient {patient_id: $p})-[:HAS_STUDY]->(a)-[:NEXT_STUDY]->(b) RETURN a.study_id AS a, b.study_id AS b ORDER BY a"
    assert store.run(chain, {"p": "p10000001"}) == [{"a": "s50000001", "b": "s50000002"}]
    assert store.run(chain, {"p": "p10000009"}) == [
        {"a": "s50000010", "b": "s50000017"},
        {"a": "s50000017", "b": "s50000003"},
    ]
    assert store.run("MATCH (p:Patient {patient_id: 'p10000005'}) RETURN count(p) AS n") == [
        {"n": 0}
    ]
    clean = FalkorDBStore(settings.model_copy(update={"graph": "moved_clean"}), autostart=False)
    clean.clear()
    clean.setup_schema()
    load_scene_graphs(clean, edited, progress=False)
    assert graph_differences(store, clean) == []
    clean.clear()
    clean.close()
