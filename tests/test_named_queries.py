"""Named queries: all Cypher the product runs lives in `cypher/**/*.cypher`, labels and
types a caller chooses go in through slots, and the whole-graph queries answer right."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from cxrkg.cypher.queries import load_query, parse_query
from cxrkg.cypher.store import GraphStore
from cxrkg.ingest.graph_stats import graph_stats
from cxrkg.qa_gen.generate import all_study_ids

REPO = Path(__file__).resolve().parent.parent
SKIP_DIRS = {"tests", ".venv", ".git", "build", "node_modules", "cxrkg.egg-info", "__pycache__"}
# A string that reads as a Cypher statement: a clause to start, a second clause later.
STATEMENT = re.compile(
    r"^\s*(?:(?:OPTIONAL\s+)?MATCH\s*\(|MERGE\s*\(|CREATE\s*\(|UNWIND\s.*?\sAS\s"
    r"|CALL\s*[{\w]|WITH\s+\S|RETURN\s+\S)"
    r".*\b(?:RETURN|SET|DELETE|CREATE|MERGE|YIELD)\b",
    re.S,
)
# Cypher that stays in Python, each for a reason: (file, how the statement starts).
ALLOWED = {
    # built from the property names of the query about to run (see its docstring)
    ("cypher/store/falkordb_backend.py", "CREATE (k:CxrkgKeyRegistry)"),
    # an example shown in the app's Cypher console, never run by the product
    ("app/webapp/views/cypher.py", "MATCH (s:Study)-[:HAS_OBSERVATION]"),
    # the hostile reads are what the benchmark measures
    ("bench/hostile_read.py", "MATCH (a),(b),(c)"),
    ("bench/hostile_read.py", "UNWIND range(1, 20000000)"),
    # the bare-CREATE baseline, made by editing load/write_studies
    ("bench/ingest.py", "MATCH (p:Patient {patient_id: row.patient_id})"),
    ("bench/ingest.py", "UNWIND $new_patients AS pid"),
}


def inline_cypher(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string in Python source that reads as a Cypher statement;
    docstrings are left out, f-strings are read with `{}` for what they fill in."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # a docstring (or a bare string statement)
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        else:
            continue
        if STATEMENT.search(text):
            found.append((node.lineno, text))
    return sorted(found)


def product_python() -> list[Path]:
    out = []
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        out += [Path(folder) / f for f in sorted(files) if f.endswith(".py")]
    return out


def test_the_inline_cypher_finder_sees_a_literal_query_but_not_a_docstring() -> None:
    source = (
        '"""Run `MATCH (s:Study) RETURN s` like this."""\n'
        'rows = store.run("MATCH (s:Study) RETURN s.study_id AS id", read_only=True)\n'
        'rows = store.run(f"MATCH (n:{label}) RETURN count(n) AS n")\n'
        'message = "MATCH failed: no study to RETURN"\n'
    )
    assert [line for line, _ in inline_cypher(source)] == [2, 3]


def test_no_python_outside_the_tests_holds_a_cypher_statement() -> None:
    files = product_python()
    assert REPO / "qa_gen" / "generate.py" in files and REPO / "bench" / "ingest.py" in files
    found, allowed_seen = [], set()
    for path in files:
        rel = path.relative_to(REPO).as_posix()
        for line, text in inline_cypher(path.read_text(encoding="utf-8")):
            allowed = {(f, start) for f, start in ALLOWED if f == rel and text.startswith(start)}
            if allowed:
                allowed_seen |= allowed
            else:
                found.append(f"{rel}:{line}: {text.strip()[:80]!r}")
    assert not found, (
        "Cypher belongs in a named file under cypher/ (run it with store.run_named):\n"
        + "\n".join(found)
    )
    assert allowed_seen == ALLOWED, f"no longer there: {sorted(ALLOWED - allowed_seen)}"


def test_a_slot_takes_the_label_given_quoted_for_cypher() -> None:
    query = load_query("graph/label_count")
    assert query.slots == ("label",) and query.params == ()
    filled = query.with_names(label="Odd `label`")
    assert "MATCH (n:`Odd ``label```)" in filled.text
    assert filled.name == "graph/label_count" and filled.slots == ()
    # The file itself is left as it is (queries are cached).
    assert load_query("graph/label_count").slots == ("label",)


def test_a_slot_left_empty_or_a_name_without_a_slot_is_refused() -> None:
    query = load_query("graph/type_count")
    with pytest.raises(ValueError, match=r"has the slots \['type'\], given \[\]"):
        query.with_names()
    with pytest.raises(ValueError, match=r"given \['label', 'type'\]"):
        query.with_names(type="NEXT_STUDY", label="Study")
    plain = parse_query("x", "// Returns one\nRETURN 1 AS n")
    assert plain.slots == () and plain.with_names().text == plain.text


PACKED = parse_query(
    "test/packed",
    "// Rows packed as one JSON string\n"
    "UNWIND [1, 2] AS i\n"
    "WITH i, {i: i, name: 'n(' + toString(i) + ')', tags: ['a', 'b)'], flag: i = 1, none: null} AS row\n"
    "RETURN count(*) AS n, cxrkg.toJson(collect(row)) AS rows_json // cxrkg.toJson( in a comment",
)
UNPACKED = [
    {"i": 1, "name": "n(1)", "tags": ["a", "b)"], "flag": True, "none": None},
    {"i": 2, "name": "n(2)", "tags": ["a", "b)"], "flag": False, "none": None},
]


def test_a_json_call_is_taken_out_for_an_engine_without_it() -> None:
    assert PACKED.packs_json and not load_query("graph/study_ids").packs_json
    plain = PACKED.plain_text
    assert "cxrkg.toJson" not in plain.split("//")[1]  # strings and comments are left as they are
    assert "RETURN count(*) AS n, collect(row) AS rows_json // cxrkg.toJson( in a comment" in plain
    assert "'n(' + toString(i) + ')'" in plain and "['a', 'b)']" in plain


def test_a_packed_column_comes_back_decoded_with_or_without_the_function(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FalkorDB runs cxrkg.toJson (cxrkg's function library, loaded on connect): one string
    assert store.serializes_json
    raw = store.run(PACKED.text, read_only=True)
    assert isinstance(raw[0]["rows_json"], str)
    assert store.run_named(PACKED, read_only=True) == [{"n": 2, "rows": UNPACKED}]
    # an engine without it (Neo4j) runs the plain text: the same rows
    monkeypatch.setattr(store, "serializes_json", False)
    assert store.run_named(PACKED, read_only=True) == [{"n": 2, "rows": UNPACKED}]


def test_graph_stats_counts_labels_and_types_whose_names_need_quoting(store: GraphStore) -> None:
    store.run(
        "CREATE (:Patient {patient_id: 'p1'})-[:HAS_STUDY]->(:Study {study_id: 's1'}),"
        " (:`Odd Label` {n: 1})-[:`ODD-TYPE`]->(:`Odd Label` {n: 2})"
    )

    stats = graph_stats(store)

    # Meta: the schema digest the store keeps; the largest count first, then by name.
    assert list(stats["nodes"].items()) == [
        ("Odd Label", 2),
        ("Meta", 1),
        ("Patient", 1),
        ("Study", 1),
    ]
    assert list(stats["relationships"].items()) == [("HAS_STUDY", 1), ("ODD-TYPE", 1)]


def test_every_study_id_comes_back_in_id_order(store: GraphStore) -> None:
    store.run("UNWIND ['s3', 's10', 's2'] AS sid CREATE (:Study {study_id: sid})")

    assert all_study_ids(store) == ["s10", "s2", "s3"]
    rows = store.run_named("graph/study_ids_with_prefix", {"prefix": "s1"}, read_only=True)
    assert [r["study_id"] for r in rows] == ["s10"]


def test_the_query_neo4j_clears_with_deletes_nodes_and_their_edges_until_none_are_left(
    store: GraphStore,
) -> None:
    # Neo4jStore.clear repeats it until it deletes nothing; no Neo4j runs here, FalkorDB does.
    store.run("CREATE (:Patient {patient_id: 'p1'})-[:HAS_STUDY]->(:Study {study_id: 's1'})")
    nodes = store.run_named("graph/node_count", read_only=True)[0]["n"]
    assert nodes == 3  # with the store's (:Meta {key: 'schema'})

    assert store.run_named("graph/delete_some_nodes") == [{"c": nodes}]
    assert store.run_named("graph/delete_some_nodes") == [{"c": 0}]
    assert store.run_named("graph/node_count", read_only=True) == [{"n": 0}]
