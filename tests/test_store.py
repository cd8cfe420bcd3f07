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


def test_a_runaway_read_leaves_the_server_answering_others_within_a_second(store, settings):
    import threading
    import time

    from cxrkg.cypher.store import FalkorDBStore, QueryLimitExceeded

    store.run("UNWIND range(1, 3000) AS i CREATE (:Patient {patient_id: toString(i)})")
    hostile = FalkorDBStore(settings.model_copy(update={"query_timeout_s": 4.0}), autostart=False)
    ended: list[BaseException] = []

    def cartesian() -> None:  # 2.7e10 rows to count: stopped only by the default timeout
        try:
            hostile.run("MATCH (a),(b),(c) RETURN count(*) AS n", read_only=True)
        except BaseException as exc:  # noqa: BLE001 - the test reads it below
            ended.append(exc)

    thread = threading.Thread(target=cartesian)
    thread.start()
    time.sleep(0.5)  # the product is running
    other = FalkorDBStore(settings, autostart=False)
    latencies = []
    for _ in range(5):
        began = time.perf_counter()
        assert other.run("RETURN 1 AS x", read_only=True) == [{"x": 1}]
        latencies.append(time.perf_counter() - began)
        time.sleep(0.2)
    assert thread.is_alive(), "the product ended before the other client was tried"
    assert max(latencies) < 1.0, latencies
    # Opening the store again (what every command does) sends no schema statement.
    assert other.setup_schema() is False
    thread.join(timeout=30)
    assert len(ended) == 1 and isinstance(ended[0], QueryLimitExceeded)
    assert "ran past its time limit (4 s)" in str(ended[0])
    hostile.close()
    other.close()


def test_the_memory_cap_refuses_a_huge_collect_with_a_clear_message(store):
    from cxrkg.cypher.store import QueryLimitExceeded

    with pytest.raises(QueryLimitExceeded, match="needed more memory than a query may use") as e:
        store.run(
            "UNWIND range(1, 20000000) AS x WITH collect(x) AS xs RETURN size(xs) AS n",
            read_only=True,
        )
    assert "(256 MB)" in str(e.value) and "CXRKG_QUERY_MEMORY_MB" in str(e.value)
    assert store.run("RETURN 1 AS x", read_only=True) == [{"x": 1}]


def test_schema_statements_are_sent_only_when_the_schema_changed(store, settings):
    from cxrkg.cypher.store import FalkorDBStore

    def writes_sent() -> int:
        return int(store.db.connection.info("commandstats")["cmdstat_graph.QUERY"]["calls"])

    assert store.setup_schema() is False  # the fixture set it up already
    before = writes_sent()
    again = FalkorDBStore(settings, autostart=False)
    assert again.setup_schema() is False
    assert writes_sent() == before
    # A graph whose recorded schema differs (older files) gets the statements again.
    store.run("MATCH (m:Meta {key: 'schema'}) SET m.digest = 'older'")
    assert again.setup_schema() is True
    assert again.setup_schema() is False
    again.close()


def test_every_store_name_imports_from_the_package_and_lives_in_the_module_of_its_job():
    import importlib

    import cxrkg.cypher.store as front

    homes = {
        "interface": ["GraphStore", "open_store", "chunks"],
        "falkordb_backend": ["FalkorDBStore"],
        "neo4j_backend": ["Neo4jStore"],
        "params": ["EncodedParams", "cypher_params_body"],
        "results": ["GraphNode", "GraphRel", "GraphPath", "to_jsonable"],
        "schema": ["NODE_KEYS"],
        "errors": [
            "StoreError",
            "StoreUnavailable",
            "StoreDiskFull",
            "ReadOnlyViolation",
            "QueryLimitExceeded",
            "StoreBusy",
        ],
    }
    for module, names in homes.items():
        home = importlib.import_module(f"cxrkg.cypher.store.{module}")
        for name in names:
            assert getattr(front, name) is getattr(home, name), f"{name} in {module}"
    assert sorted(front.__all__) == sorted(n for names in homes.values() for n in names)
