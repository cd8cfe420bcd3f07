"""The Neo4j 5 backend, as far as it can be checked without a Neo4j server.

A live Neo4j cannot run here. What is checked: configuration and connection errors
(through the real driver against a port where nothing listens), the conversion of the
driver's graph values (decoded by the driver itself from Bolt 5 bytes), and the schema
file against the node keys. That every statement is valid Cypher 5 is the lint test's job.
"""

from __future__ import annotations

import importlib
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest

from cxrkg.config import reset_settings
from cxrkg.cypher.queries import queries_root, statements
from cxrkg.cypher.store import (
    NODE_KEYS,
    GraphNode,
    GraphPath,
    GraphRel,
    GraphStore,
    Neo4jStore,
    StoreError,
    StoreUnavailable,
    open_store,
    to_jsonable,
)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def neo4j_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """CXRKG_BACKEND=neo4j in a home of its own (no config.toml of the user's)."""
    monkeypatch.setenv("CXRKG_HOME", str(tmp_path))
    monkeypatch.delenv("CXRKG_CONFIG", raising=False)
    monkeypatch.setenv("CXRKG_BACKEND", "neo4j")
    reset_settings()
    yield monkeypatch
    monkeypatch.undo()
    reset_settings()


# -- connecting ----------------------------------------------------------------------
# neo4j:// and neo4j+s:// are the routing URIs of a cluster and of Aura.
@pytest.mark.parametrize("scheme", ["bolt", "neo4j", "neo4j+s"])
def test_open_store_with_no_neo4j_listening_raises_store_unavailable_naming_uri_and_fix(
    neo4j_env: pytest.MonkeyPatch, scheme: str
) -> None:
    uri = f"{scheme}://127.0.0.1:{unused_port()}"
    neo4j_env.setenv("CXRKG_NEO4J_URI", uri)
    reset_settings()

    with pytest.raises(StoreUnavailable) as caught:
        open_store()

    message = str(caught.value)
    assert f"cannot reach Neo4j at {uri}" in message
    assert "docker compose up -d neo4j" in message and "CXRKG_NEO4J_" in message


@pytest.mark.parametrize("uri", ["localhost:7687", "http://127.0.0.1:7474"])
def test_a_uri_that_is_not_bolt_is_refused_with_the_form_to_use(
    neo4j_env: pytest.MonkeyPatch, uri: str
) -> None:
    neo4j_env.setenv("CXRKG_NEO4J_URI", uri)
    reset_settings()

    with pytest.raises(StoreError) as caught:
        open_store()

    assert not isinstance(caught.value, StoreUnavailable)
    assert f"CXRKG_NEO4J_URI {uri!r} is not a Bolt URI" in str(caught.value)
    assert "bolt://host:7687" in str(caught.value)


# -- graph values ----------------------------------------------------------------------
def bolt5_hydration() -> tuple[Any, Any, Any, Any, Any]:
    """The driver's own packstream codec and the hydration handler its Bolt 5 connections use."""
    try:
        packstream = importlib.import_module("neo4j._codec.packstream")
        v1 = importlib.import_module("neo4j._codec.packstream.v1")
    except ImportError as exc:
        pytest.skip(
            f"neo4j driver {neo4j.__version__} has no packstream codec where expected: {exc}"
        )
    # Driver 6 keeps it under hydration/bolt/v2, driver 5 under hydration/v2.
    for module in ("neo4j._codec.hydration.bolt.v2", "neo4j._codec.hydration.v2"):
        try:
            handler = importlib.import_module(module).HydrationHandler
            break
        except (ImportError, AttributeError):
            continue
    else:
        pytest.skip(f"neo4j driver {neo4j.__version__}: Bolt 5 hydration handler not found")
    return packstream.Structure, v1.Packer, v1.Unpacker, v1.PackableBuffer, handler


def record_from_bolt5(values: list[Any], keys: list[str]) -> neo4j.Record:
    """Pack `values` as a Neo4j 5 server sends a RECORD and let the driver decode them."""
    _, packer, unpacker, packable, handler = bolt5_hydration()
    buffer = packable()
    packer(buffer).pack(values)
    unpackable = importlib.import_module("neo4j._codec.packstream._common").UnpackableBuffer
    scope = handler().new_hydration_scope()
    decoded = unpacker(unpackable(bytes(buffer.data))).unpack(scope.hydration_hooks)
    return neo4j.Record(zip(keys, decoded, strict=True))


def node(structure: Any, i: int, labels: list[str], props: dict[str, Any]) -> Any:
    return structure(b"N", i, labels, props, f"4:db:{i}")


def unbound_rel(structure: Any, i: int, rel_type: str, props: dict[str, Any]) -> Any:
    return structure(b"r", i, rel_type, props, f"5:db:{i}")


@pytest.fixture()
def study_record() -> neo4j.Record:
    """One row of `MATCH p = (pt)-[hs]->(s)-[hi]->(i) RETURN ...` as Neo4j 5 would send it."""
    structure = bolt5_hydration()[0]
    patient = node(structure, 1, ["Patient"], {"patient_id": "p1"})
    study = node(structure, 2, ["Study"], {"study_id": "s1", "view_positions": ["PA", "LATERAL"]})
    image = node(structure, 3, ["Image", "Frontal"], {"image_id": "i1", "bbox_flat": [0.1, 0.2]})
    has_study = unbound_rel(structure, 10, "HAS_STUDY", {})
    has_image = unbound_rel(structure, 11, "HAS_IMAGE", {"order": 1})
    bound = structure(b"R", 11, 2, 3, "HAS_IMAGE", {"order": 1}, "5:db:11", "4:db:2", "4:db:3")
    forward = structure(b"P", [patient, study, image], [has_study, has_image], [1, 1, 2, 2])
    backward = structure(b"P", [image, study, patient], [has_image, has_study], [-1, 1, -2, 2])
    return record_from_bolt5(
        [study, bound, forward, backward, [patient], {"image": image}, 3, "s1", None],
        ["s", "r", "p", "back", "patients", "by_name", "n", "id", "missing"],
    )


def convert_row(record: neo4j.Record) -> dict[str, Any]:
    # The same conversion Neo4jStore.run applies to each record.
    return {k: Neo4jStore._convert(v) for k, v in record.items()}


def test_neo4j_node_becomes_graph_node_with_element_id_labels_and_properties(study_record) -> None:
    row = convert_row(study_record)
    assert row["s"] == GraphNode("4:db:2", ("Study",))
    assert row["s"].properties == {"study_id": "s1", "view_positions": ["PA", "LATERAL"]}
    image = row["by_name"]["image"]
    assert image.labels == ("Frontal", "Image")
    assert image.properties == {"image_id": "i1", "bbox_flat": [0.1, 0.2]}


def test_neo4j_relationship_becomes_graph_rel_with_its_end_nodes(study_record) -> None:
    rel = convert_row(study_record)["r"]
    assert rel == GraphRel("5:db:11", "HAS_IMAGE", "4:db:2", "4:db:3")
    assert rel.properties == {"order": 1}


def test_neo4j_path_keeps_node_order_and_relationship_direction(study_record) -> None:
    row = convert_row(study_record)
    forward, backward = row["p"], row["back"]
    assert isinstance(forward, GraphPath) and isinstance(backward, GraphPath)
    assert [n.id for n in forward.nodes] == ["4:db:1", "4:db:2", "4:db:3"]
    assert [(r.type, r.start, r.end) for r in forward.rels] == [
        ("HAS_STUDY", "4:db:1", "4:db:2"),
        ("HAS_IMAGE", "4:db:2", "4:db:3"),
    ]
    # Walked from the image back to the patient: nodes reversed, relationships keep direction.
    assert [n.id for n in backward.nodes] == ["4:db:3", "4:db:2", "4:db:1"]
    assert [(r.type, r.start, r.end) for r in backward.rels] == [
        ("HAS_IMAGE", "4:db:2", "4:db:3"),
        ("HAS_STUDY", "4:db:1", "4:db:2"),
    ]


def test_neo4j_plain_values_and_containers_pass_through(study_record) -> None:
    row = convert_row(study_record)
    assert row["patients"] == [GraphNode("4:db:1", ("Patient",))]
    assert (row["n"], row["id"], row["missing"]) == (3, "s1", None)
    assert json.loads(json.dumps(to_jsonable(row)))["p"]["rels"][1] == {
        "_id": "5:db:11",
        "_type": "HAS_IMAGE",
        "_start": "4:db:2",
        "_end": "4:db:3",
        "order": 1,
    }


def without_ids(value: Any) -> Any:
    """JSON of graph records with backend-specific ids replaced by their position."""
    data = to_jsonable(value)
    ids: dict[str, int] = {}
    for n in data["nodes"]:
        ids.setdefault(n["_id"], len(ids))

    def strip(entry: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in entry.items() if k != "_id"}
        for key in ("_start", "_end"):
            if key in out:
                out[key] = ids[out[key]]
        return out

    return {"nodes": [strip(n) for n in data["nodes"]], "rels": [strip(r) for r in data["rels"]]}


def test_a_path_reads_the_same_from_neo4j_as_from_falkordb(store: GraphStore, study_record) -> None:
    store.run(
        "CREATE (:Patient {patient_id: 'p1'})-[:HAS_STUDY]->"
        "(:Study {study_id: 's1', view_positions: ['PA', 'LATERAL']})-[:HAS_IMAGE {order: 1}]->"
        "(:Image:Frontal {image_id: 'i1', bbox_flat: [0.1, 0.2]})"
    )
    falkordb_path = store.run(
        "MATCH p = (:Patient)-[:HAS_STUDY]->(:Study)-[:HAS_IMAGE]->(:Image) RETURN p",
        read_only=True,
    )[0]["p"]
    neo4j_path = convert_row(study_record)["p"]
    falkor = without_ids(falkordb_path)
    for n in falkor["nodes"]:
        n["_labels"] = sorted(n["_labels"])
    assert falkor == without_ids(neo4j_path)


# -- schema ----------------------------------------------------------------------------
def test_neo4j_schema_has_a_uniqueness_constraint_on_every_node_key() -> None:
    text = (queries_root() / "schema" / "neo4j.cypher").read_text(encoding="utf-8")
    unique = re.compile(
        r"CREATE CONSTRAINT \w+ IF NOT EXISTS FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE"
    )
    keyed = {m.group(1): m.group(2) for s in statements(text) if (m := unique.fullmatch(s))}
    assert keyed == NODE_KEYS


def test_every_neo4j_schema_statement_is_idempotent() -> None:
    # setup_schema runs on every open_store(); a statement without IF NOT EXISTS would fail
    # the second time (a DROP of an older key's constraint says IF EXISTS).
    text = (queries_root() / "schema" / "neo4j.cypher").read_text(encoding="utf-8")
    stmts = statements(text)
    assert stmts and all(
        " IF NOT EXISTS " in s or (s.startswith("DROP ") and s.endswith(" IF EXISTS"))
        for s in stmts
    )
