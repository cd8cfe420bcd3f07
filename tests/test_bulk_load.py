"""Bulk initial loads (`cxrkg ingest ... --bulk`): the graph a bulk load leaves is the one
the transactional loader leaves, node by node, property by property, edge by edge."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cxrkg.app.cli import app
from cxrkg.app.demo import demo_dir
from cxrkg.config import Settings
from cxrkg.cypher.store import NODE_KEYS, FalkorDBStore, GraphStore
from cxrkg.ingest.bulk import Neo4jTarget, write_bulk_files
from cxrkg.ingest.graph_read import read_scene_graph
from cxrkg.ingest.graph_stats import graph_stats
from cxrkg.ingest.load import load_scene_graphs
from cxrkg.ingest.model import IngestError, Rejected, SceneGraph
from cxrkg.ingest.sources.qba import QBASource

runner = CliRunner()


# -- helpers ----------------------------------------------------------------------------------
@pytest.fixture()
def twin(store: FalkorDBStore, settings: Settings) -> Iterator[FalkorDBStore]:
    """A second, empty graph on the same server (the reference load goes there)."""
    other = FalkorDBStore(settings.model_copy(update={"graph": "cxrkg_test_twin"}))
    other.clear()
    other.setup_schema()
    yield other
    other.clear()
    other.close()


def demo() -> list[SceneGraph | Rejected]:
    return list(QBASource(demo_dir()))


def qba_shaped(n: int) -> list[SceneGraph]:
    from cxrkg.bench.qba_shapes import qba_studies

    return list(qba_studies(n, seed=7))


def _ident(labels: list[str], props: dict[str, Any]) -> tuple[str, Any]:
    label = next(x for x in labels if x != "Class")
    return label, props.get(NODE_KEYS.get(label, "key"))


def dump(store: GraphStore) -> tuple[dict, Counter]:
    """Every node (labels, properties) by its key and every relationship (type, ends,
    properties), read per label and per type so that no read meets the memory limit."""
    nodes: dict[tuple[str, Any], tuple[tuple[str, ...], str]] = {}
    rels: Counter = Counter()
    stats = graph_stats(store)
    for label in stats["nodes"]:
        for r in store.run(
            f"MATCH (n:`{label}`) RETURN labels(n) AS l, properties(n) AS p", read_only=True
        ):
            nodes[_ident(r["l"], r["p"])] = (
                tuple(sorted(r["l"])),
                json.dumps(r["p"], sort_keys=True),
            )
    for rel_type in stats["relationships"]:
        for r in store.run(
            f"MATCH (a)-[e:`{rel_type}`]->(b) RETURN labels(a) AS la, properties(a) AS pa,"
            " labels(b) AS lb, properties(b) AS pb, properties(e) AS p",
            read_only=True,
        ):
            ends = (_ident(r["la"], r["pa"]), _ident(r["lb"], r["pb"]))
            rels[(rel_type, *ends, json.dumps(r["p"], sort_keys=True))] += 1
    return nodes, rels


def assert_same_graph(bulk: GraphStore, reference: GraphStore) -> None:
    assert graph_stats(bulk) == graph_stats(reference)
    nodes, rels = dump(bulk)
    ref_nodes, ref_rels = dump(reference)
    differ = [k for k in ref_nodes.keys() | nodes.keys() if nodes.get(k) != ref_nodes.get(k)]
    assert not differ, [(k, nodes.get(k), ref_nodes.get(k)) for k in differ[:3]]
    assert rels == ref_rels, (
        list((rels - ref_rels).items())[:3],
        list((ref_rels - rels).items())[:3],
    )
    ids = [
        r["id"] for r in reference.run("MATCH (s:Study) RETURN s.study_id AS id", read_only=True)
    ]
    for sid in ids:
        assert (
            read_scene_graph(bulk, sid).model_dump()
            == read_scene_graph(reference, sid).model_dump()
        )


# -- FalkorDB -------------------------------------------------------------------------------------
def test_a_bulk_load_of_the_demo_equals_the_transactional_load(store, twin) -> None:
    report = load_scene_graphs(store, demo(), bulk=True, progress=False)
    assert len(report.loaded) == 22 and not report.rejected and not report.deferred
    assert report.nodes > 1000 and report.relationships > 3000
    load_scene_graphs(twin, demo(), progress=False)
    assert_same_graph(store, twin)
    for sg in QBASource(demo_dir()):  # and every study reads back as its source
        assert read_scene_graph(store, sg.study_id).model_dump() == sg.model_dump()


def test_a_bulk_load_of_qba_shaped_studies_equals_the_transactional_load(store, twin) -> None:
    graphs = qba_shaped(150)
    report = load_scene_graphs(store, graphs, bulk=True, progress=False)
    assert len(report.loaded) == 150 and not report.deferred
    load_scene_graphs(twin, graphs, progress=False)
    assert_same_graph(store, twin)
    chains = store.run(
        "MATCH (:Study)-[r:NEXT_STUDY]->(:Study) RETURN count(r) AS n", read_only=True
    )[0]["n"]
    patients = len({sg.patient_id for sg in graphs})
    assert chains == 150 - patients  # every patient's studies chained in order
    assert store.run("MATCH (p:Patient) WHERE p.link_pending RETURN count(p) AS n")[0]["n"] == 0


def test_a_bulk_load_of_iu_reports_equals_the_transactional_load(store, twin) -> None:
    from cxrkg.ingest.extract.pipeline import ReportPipeline
    from cxrkg.ingest.sources.iu import iu_scene_graphs

    graphs = list(iu_scene_graphs(ReportPipeline(), limit=200))
    report = load_scene_graphs(store, graphs, bulk=True, progress=False)
    assert len(report.loaded) + len(report.rejected) == 200
    load_scene_graphs(twin, graphs, progress=False)
    assert_same_graph(store, twin)


def _with(sg: SceneGraph, **changes: Any) -> SceneGraph:
    data = sg.model_dump(mode="json")
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = data
        for p in parents:
            node = node[p]
        node[last] = value
    return SceneGraph.model_validate(data)


def test_values_the_bulk_loader_would_change_go_through_the_transactional_loader(
    store, twin
) -> None:
    graphs = [g for g in demo() if isinstance(g, SceneGraph)]
    graphs[0] = _with(graphs[0], sentences__S02__sentence="Text with a trailing space. ")
    graphs[1] = _with(graphs[1], observations__O01__changes=["12", "true"])
    graphs[2] = _with(graphs[2], reason_for_exam="")
    report = load_scene_graphs(store, graphs, bulk=True, progress=False)
    assert {sid for sid, _ in report.deferred} == {g.study_id for g in graphs[:3]}
    assert "spaces" in dict(report.deferred)[graphs[0].study_id]
    assert "reads as a number" in dict(report.deferred)[graphs[1].study_id]
    assert "written by the transactional loader" in report.summary()
    assert len(report.loaded) == 22
    load_scene_graphs(twin, graphs, progress=False)
    assert_same_graph(store, twin)
    assert read_scene_graph(store, graphs[0].study_id).sentences["S02"].sentence.endswith(" ")


def test_a_study_met_twice_ends_as_its_later_version(store, twin) -> None:
    graphs = [g for g in demo() if isinstance(g, SceneGraph)]
    later = _with(graphs[0], reason_for_exam="a later version")
    items = [graphs[0], *graphs[1:], later]
    load_scene_graphs(store, items, bulk=True, progress=False)
    load_scene_graphs(twin, items, progress=False)
    assert read_scene_graph(store, later.study_id).reason_for_exam == "a later version"
    assert_same_graph(store, twin)


def test_a_bulk_load_refuses_a_graph_that_holds_studies(store) -> None:
    load_scene_graphs(store, demo()[:3], progress=False)
    before = graph_stats(store)
    with pytest.raises(IngestError, match=r"needs an empty graph.*Study") as info:
        load_scene_graphs(store, demo(), bulk=True, progress=False)
    assert "without --bulk" in str(info.value)
    assert graph_stats(store) == before  # nothing touched


def test_bad_input_is_refused_by_name_before_anything_is_written(store) -> None:
    graphs = [g for g in demo() if isinstance(g, SceneGraph)]
    image = next(iter(graphs[0].images))
    clash = _with(
        graphs[1], images={image: {**graphs[0].images[image].model_dump(), "image_id": image}}
    )
    broken = Rejected(file="p10/x/s9.scene_graph.json", study_id="s9", reason="not JSON")
    with pytest.raises(IngestError, match="s9"):
        load_scene_graphs(
            store, [graphs[0], broken, *graphs[2:]], bulk=True, strict=True, progress=False
        )
    assert "Study" not in graph_stats(store)["nodes"]  # nothing was written
    report = load_scene_graphs(store, [graphs[0], clash, broken], bulk=True, progress=False)
    reasons = {r.study_id: r.reason for r in report.rejected}
    assert f"also belongs to study {graphs[0].study_id} of this run" in reasons[clash.study_id]
    assert reasons["s9"] == "not JSON"
    assert report.loaded == [graphs[0].study_id]


# -- Neo4j: the import files, read back as neo4j-admin reads them -----------------------------
def read_neo4j_files(report: Any) -> tuple[dict, Counter]:
    """Nodes and relationships from the import files, by the documented CSV rules of
    `neo4j-admin database import`: `name:type` headers (`[]` arrays split on the array
    delimiter), `:ID(space)` / `:START_ID(space)` / `:END_ID(space)`, an empty unquoted
    field is no value, a quoted one is text, `""` inside quotes is a quote."""
    delimiter = Neo4jTarget.ARRAY_DELIMITER
    convert = {
        "string": str,
        "long": int,
        "double": float,
        "boolean": lambda v: {"true": True, "false": False}[v],
    }
    nodes: dict = {}
    rels: Counter = Counter()
    flags = [p.split("=", 2) for p in report.command.split() if p.startswith("--nodes=")]
    flags += [p.split("=", 2) for p in report.command.split() if p.startswith("--relationships=")]
    assert len(flags) == len([f for f in report.files if f.stat().st_size]), "every file imported"
    for flag, name, path in flags:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, strict=True))
        header = rows[0]
        for row in rows[1:]:
            assert len(row) == len(header), (path, row)
            props: dict[str, Any] = {}
            ends = []
            for field, value in zip(header, row, strict=True):
                prop, kind = field.rsplit(":", 1)
                if kind.startswith(("START_ID", "END_ID")):
                    ends.append((kind.split("(")[1].rstrip(")"), value))
                    continue
                if kind.startswith("ID("):
                    kind = "string"
                if value == "":
                    continue  # csv.reader says "" for both no value and an empty quote
                if kind.endswith("[]"):
                    props[prop] = [convert[kind[:-2]](v) for v in value.split(delimiter)]
                else:
                    props[prop] = convert[kind](value)
            if flag == "--nodes":
                labels = name.split(":")
                nodes[_ident(labels, props)] = (
                    tuple(sorted(labels)),
                    json.dumps(props, sort_keys=True),
                )
            else:
                rels[(name, *ends, json.dumps(props, sort_keys=True))] += 1
    return nodes, rels


def _without_empty(props: str) -> str:
    data = {k: v for k, v in json.loads(props).items() if v != [] and v != ""}
    return json.dumps(data, sort_keys=True)


def test_neo4j_import_files_read_back_as_the_transactional_graph(store, tmp_path: Path) -> None:
    graphs = [*demo(), *qba_shaped(40)]
    report = write_bulk_files(graphs, tmp_path / "import", target="neo4j", progress=False)
    assert report.target == "neo4j" and not report.deferred
    assert report.command.startswith("neo4j-admin database import full neo4j ")
    for flag in ("--array-delimiter=§", "--multiline-fields=true", "--id-type=string"):
        assert flag in report.command
    assert (tmp_path / "import" / "import.sh").read_text().strip().endswith(report.command)
    nodes, rels = read_neo4j_files(report)

    load_scene_graphs(store, graphs, progress=False)
    ref_nodes, ref_rels = dump(store)
    # The transactional load leaves schema bookkeeping the import does not carry (the
    # digest and the version counter: written at the first connection), and the chains
    # the first ordinary ingest after the import builds (every patient is marked).
    for key in [k for k in ref_nodes if k[0] == "Meta" and k[1] != "ontology"]:
        del ref_nodes[key]
    ref_rels = Counter({k: v for k, v in ref_rels.items() if k[0] != "NEXT_STUDY"})
    patients = {k for k in nodes if k[0] == "Patient"}
    for key in patients:
        labels, props = nodes[key]
        assert json.loads(props)["link_pending"] is True
        nodes[key] = (labels, json.dumps({"patient_id": key[1]}))
    # Empty lists are left out (no importer type says "empty"); empty texts are not.
    expected = {k: (labels, _without_empty(p)) for k, (labels, p) in ref_nodes.items()}
    got = {k: (labels, _without_empty(p)) for k, (labels, p) in nodes.items()}
    assert got.keys() == expected.keys()
    differ = [k for k in expected if got[k] != expected[k]]
    assert not differ, [(k, got[k], expected[k]) for k in differ[:2]]
    assert Counter({(*k[:3], _without_empty(k[3])): v for k, v in rels.items()}) == Counter(
        {(*k[:3], _without_empty(k[3])): v for k, v in ref_rels.items()}
    )


def test_neo4j_import_files_leave_out_studies_the_importer_would_change(tmp_path: Path) -> None:
    graphs = [g for g in demo() if isinstance(g, SceneGraph)]
    graphs[0] = _with(graphs[0], observations__O01__changes=["worse§better"])
    report = write_bulk_files(graphs, tmp_path, target="neo4j", progress=False)
    assert [sid for sid, _ in report.deferred] == [graphs[0].study_id]
    assert "rerun the ordinary ingest after the import" in report.summary()
    assert len(report.loaded) == 21


# -- the command line ----------------------------------------------------------------------------
def test_cxrkg_ingest_bulk_loads_an_empty_graph_and_refuses_a_full_one(store) -> None:
    res = runner.invoke(app, ["ingest", "qba", str(demo_dir()), "--bulk"])
    assert res.exit_code == 0, res.output
    assert "22 studies loaded" in res.output and "bulk (falkordb)" in res.output
    res = runner.invoke(
        app, ["ingest", "imagenome", str(Path(__file__).parent / "data" / "imagenome"), "--bulk"]
    )
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and "needs an empty graph" in text and "Traceback" not in text


def test_cxrkg_ingest_bulk_for_neo4j_writes_the_import_files(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CXRKG_BACKEND", "neo4j")
    monkeypatch.setenv("CXRKG_NEO4J_URI", "bolt://127.0.0.1:1")  # nothing listens: never used
    from cxrkg.config import reset_settings

    reset_settings()
    try:
        folder = tmp_path / "reports" / "p1"
        folder.mkdir(parents=True)
        (folder / "s1.txt").write_text("FINDINGS: Small left pleural effusion.\n")
        res = runner.invoke(
            app,
            [
                "ingest",
                "reports",
                str(tmp_path / "reports"),
                "--bulk",
                "--bulk-dir",
                str(tmp_path / "out"),
            ],
        )
        assert res.exit_code == 0, res.output
        assert "neo4j-admin database import full" in " ".join(res.output.split())
        assert (tmp_path / "out" / "import.sh").is_file()
        res = runner.invoke(app, ["ingest", "padchest", "--limit", "3", "--bulk"])
        assert res.exit_code == 2 and "--bulk-dir" in " ".join(res.output.split())
    finally:
        monkeypatch.undo()
        reset_settings()
