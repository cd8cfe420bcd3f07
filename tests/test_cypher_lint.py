"""Every Cypher file passes Neo4j's own Cypher 5 front end (run offline under Node).

The same queries run for real against FalkorDB in the other tests, so each query is
proven on one engine and checked on the other. The linter is the npm package pinned in
`cypher/lint/package.json`; the first run installs it from the lock with `npm ci`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

from cxrkg.cypher.queries import list_queries, parse_query, queries_root, statements

LINT_DIR = queries_root() / "lint"
PACKAGE = "@neo4j-cypher/language-support"
# Files whose statements are DDL, linted one statement at a time.
DDL_FOLDERS = ("schema",)


def pinned_version() -> str:
    manifest = json.loads((LINT_DIR / "package.json").read_text(encoding="utf-8"))
    return manifest["dependencies"][PACKAGE]


def installed_version() -> str | None:
    path = LINT_DIR / "node_modules" / PACKAGE / "package.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))["version"]


@pytest.fixture(scope="module")
def linter() -> Path:
    """`cypher/lint/lint.mjs`, with the pinned linter installed beside it."""
    if shutil.which("node") is None:
        pytest.fail(
            "node is not on PATH: install Node.js (Debian: `apt-get install nodejs npm`)"
            " to lint the Cypher files with Neo4j's front end"
        )
    if installed_version() != pinned_version():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                f"npm is not on PATH, so {PACKAGE} cannot be installed into {LINT_DIR}:"
                " install npm (Debian: `apt-get install npm`) or run `npm ci` there"
            )
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--engine-strict=false"],
            cwd=LINT_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            pytest.fail(
                f"`npm ci` in {LINT_DIR} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
            )
    assert installed_version() == pinned_version()
    return LINT_DIR / "lint.mjs"


def lint(script: Path, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Lint `[{name, text, params}]` in one node process; returns lint.mjs's report."""
    proc = subprocess.run(
        ["node", str(script)],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"lint.mjs failed (exit {proc.returncode}):\n{proc.stderr}"
    report = json.loads(proc.stdout)
    assert [r["name"] for r in report["results"]] == [q["name"] for q in queries]
    return report


def errors(diagnostics: list[dict[str, Any]]) -> list[str]:
    return [d["message"] for d in diagnostics if d["severity"] == "error"]


def cypher_inputs() -> list[dict[str, Any]]:
    """Every `.cypher` file under cypher/, DDL files split into their statements."""
    out = []
    for query in list_queries():
        if query.folder in DDL_FOLDERS:
            for i, stmt in enumerate(statements(query.text), start=1):
                params = parse_query(query.name, stmt).params
                out.append(
                    {
                        "name": f"{query.name}.cypher statement {i}",
                        "text": stmt,
                        "params": list(params),
                    }
                )
        else:
            out.append(
                {
                    "name": f"{query.name}.cypher",
                    "text": query.plain_text,  # as Neo4j runs it: no cxrkg.toJson
                    "params": list(query.params),
                }
            )
    return out


def test_every_cypher_file_passes_neo4j_cypher5_front_end(linter: Path) -> None:
    inputs = cypher_inputs()
    names = {q["name"].split(".cypher")[0] for q in inputs}
    assert {"schema/neo4j", "schema/falkordb"} <= names
    # The linter's own node_modules must never pass for named queries.
    assert not [n for n in names if n.startswith("lint/")]

    report = lint(linter, inputs)

    assert report["version"] == pinned_version()
    assert report["cypher"] == "CYPHER 5"
    failures, notes = [], []
    for result in report["results"]:
        for d in result["diagnostics"]:
            line = f"{result['name']}:{d['line']}:{d['column']}: {d['message']}"
            (failures if d["severity"] == "error" else notes).append(line)
    print(
        f"linted {len(inputs)} statements from {len(names)} files with {PACKAGE}"
        f" {report['version']} ({report['cypher']})"
    )
    if notes:
        listing = "\n".join(notes)
        print(f"{len(notes)} warnings:\n{listing}")
        warnings.warn(
            f"Neo4j's Cypher 5 front end left {len(notes)} warnings:\n{listing}", stacklevel=1
        )
    assert not failures, f"{len(failures)} errors from Neo4j's Cypher 5 front end:\n" + "\n".join(
        failures
    )


# Small queries whose verdict is known, linted together in one node process.
PROBES: dict[str, tuple[str, tuple[str, ...]]] = {
    "broken": ("MATCH (s:Study RETURN s", ()),
    "unbound": ("MATCH (s:Study) RETURN t.study_id AS id", ()),
    "declared": ("MATCH (s:Study {study_id: $study_id}) RETURN s", ("study_id",)),
    "undeclared": ("MATCH (s:Study {study_id: $study_id}) RETURN s", ()),
    # APOC is a plugin and toJSON is FalkorDB's own: a plain Neo4j 5 has neither.
    "foreign_functions": ("MATCH (s:Study) RETURN apoc.coll.sum([1]) AS a, toJSON(s) AS j", ()),
    "builtin_functions": ("RETURN coalesce(null, toLower('A'), size([1])) AS x", ()),
    "foreign_procedure": (
        "CALL db.idx.fulltext.queryNodes('Sentence', 'effusion') YIELD node RETURN node",
        (),
    ),
    "call_with": (
        "MATCH (s:Study) CALL { WITH s MATCH (s)--(i:Image) RETURN count(i) AS images }"
        " RETURN s.study_id AS id, images",
        (),
    ),
    "falkordb_index": ("CREATE INDEX FOR (n:Patient) ON (n.patient_id)", ()),
}


@pytest.fixture(scope="module")
def probes(linter: Path) -> dict[str, list[dict[str, Any]]]:
    report = lint(
        linter,
        [
            {"name": name, "text": text, "params": list(params)}
            for name, (text, params) in PROBES.items()
        ],
    )
    return {r["name"]: r["diagnostics"] for r in report["results"]}


def test_linter_reports_a_broken_query_as_an_error(probes: dict[str, Any]) -> None:
    found = errors(probes["broken"])
    assert any("Invalid input 'RETURN'" in m for m in found), found


def test_linter_reports_an_unbound_variable_as_an_error(probes: dict[str, Any]) -> None:
    found = errors(probes["unbound"])
    assert any("Variable `t` not defined" in m for m in found), found


def test_declared_parameters_pass_and_undeclared_ones_are_errors(probes: dict[str, Any]) -> None:
    assert errors(probes["declared"]) == []
    assert errors(probes["undeclared"]) == ["Parameter $study_id is not defined."]


def test_functions_and_procedures_neo4j_lacks_are_errors(probes: dict[str, Any]) -> None:
    found = errors(probes["foreign_functions"])
    assert any("Function apoc.coll.sum is not present" in m for m in found), found
    assert any("Function toJSON is not present" in m for m in found), found
    found = errors(probes["foreign_procedure"])
    assert any("Procedure db.idx.fulltext.queryNodes is not present" in m for m in found), found
    assert errors(probes["builtin_functions"]) == []


def test_call_with_subquery_is_only_a_deprecation_warning(probes: dict[str, Any]) -> None:
    assert errors(probes["call_with"]) == []
    assert any(
        d["severity"] == "warning" and "deprecated" in d["message"] for d in probes["call_with"]
    )


def test_falkordb_index_ddl_is_valid_cypher5(probes: dict[str, Any]) -> None:
    assert probes["falkordb_index"] == []


def test_linter_version_is_pinned_exactly_in_manifest_and_lock() -> None:
    version = pinned_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?", version), version
    lock = json.loads((LINT_DIR / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"][PACKAGE] == version
    assert lock["packages"][f"node_modules/{PACKAGE}"]["version"] == version
