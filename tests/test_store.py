"""The graph store against a real embedded FalkorDB."""

import pytest

from cxrkg.cypher.store import ReadOnlyViolation


def test_read_only_run_refuses_a_write_with_a_clear_message(store):
    with pytest.raises(ReadOnlyViolation, match="read-only runs cannot write"):
        store.run("CREATE (:Patient {patient_id: 'p1'})", read_only=True)
    assert store.run("MATCH (p:Patient) RETURN count(p) AS n", read_only=True) == [{"n": 0}]


def test_batched_writes_and_rows_as_dicts(store):
    rows = [{"id": f"p{i}"} for i in range(25)]
    written = store.write_batches(
        "UNWIND $rows AS r MERGE (:Patient {patient_id: r.id})", rows, batch_size=10
    )
    assert written == 25
    got = store.run("MATCH (p:Patient) RETURN p.patient_id AS id ORDER BY id LIMIT 2")
    assert got == [{"id": "p0"}, {"id": "p1"}]


def test_nodes_come_back_as_graph_records(store):
    store.run("CREATE (:Patient {patient_id: 'p9'})-[:HAS_STUDY]->(:Study {study_id: 's9'})")
    row = store.run("MATCH (p:Patient)-[r]->(s:Study) RETURN p, r, s")[0]
    assert row["p"].labels == ("Patient",) and row["p"].properties == {"patient_id": "p9"}
    assert row["r"].type == "HAS_STUDY" and row["r"].start == row["p"].id
    assert row["r"].end == row["s"].id


def test_graph_version_counts_writes(store):
    assert store.version() == 0
    store.bump_version()
    assert store.bump_version() == 2 and store.version() == 2


def test_parameters_round_trip_through_both_encodings(store):
    # JSON-encodable text takes the fast encoder; \r and control characters fall back
    # to the falkordb client's; map keys that are not identifiers get backticks.
    for value in ["a\rb", "tab\tx", 'q"uote', "ctrl\x01", "é 中", "back\\slash", 'x":1']:
        assert store.run("RETURN $v AS v", {"v": value}) == [{"v": value}]
    odd = {"odd key": 1, "ok": [1.5, None, True], "nested": {"k\\": "v"}}
    assert store.run("RETURN $m AS m", {"m": odd}) == [{"m": odd}]
