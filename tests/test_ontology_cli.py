"""`cxrkg ontology ...` from the shell's point of view: output, exit codes, clear errors."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from cxrkg.app.cli import app
from cxrkg.ontology import curation, load_ontology
from cxrkg.ontology.files import BUNDLED
from cxrkg.ontology.owl_io import read_owl, render_owl

runner = CliRunner()


def _run(*args: str):  # noqa: ANN202
    return runner.invoke(app, ["ontology", *args])


def _text(result) -> str:  # noqa: ANN001
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_validate_passes_the_bundled_ontology_and_names_concepts_of_a_broken_one(
    tmp_path: Path,
) -> None:
    ok = _run("validate", "--no-reasoner", "--path", str(BUNDLED))
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.output
    concepts, meta = read_owl(BUNDLED)
    broken = [
        replace(c, counterpart="left hemithorax") if c.name == "left lung" else c for c in concepts
    ]
    path = tmp_path / "broken.owl"
    path.write_text(render_owl(broken, meta), encoding="utf-8")
    bad = _run("validate", "--no-reasoner", "--json", "--path", str(path))
    assert bad.exit_code == 1
    problems = json.loads(bad.output)["problems"]
    assert any(p["check"] == "counterpart" and "left lung" in p["concepts"] for p in problems)


def test_a_missing_or_unreadable_file_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    missing = _run("stats", "--path", str(tmp_path / "nope.owl"))
    assert missing.exit_code == 1 and "no ontology file" in _text(missing)
    garbage = tmp_path / "garbage.owl"
    garbage.write_text("this is not RDF")
    result = _run("export", "--format", "csv", "--path", str(garbage))
    assert result.exit_code == 1 and "not valid RDF" in _text(result)
    assert "Traceback" not in result.output
    unknown = _run("export", "--format", "docx", "--path", str(BUNDLED))
    assert unknown.exit_code == 1 and "unknown export format" in _text(unknown)


def test_export_writes_the_requested_format(tmp_path: Path) -> None:
    out = tmp_path / "onto.csv"
    result = _run("export", "--format", "csv", "--out", str(out), "--path", str(BUNDLED))
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0].startswith("kind,name,label,synonyms")
    ttl = _run("export", "--format", "ttl", "--path", str(BUNDLED))
    assert ttl.exit_code == 0 and "skos:prefLabel" in ttl.output


def test_history_and_restore_from_the_command_line(tmp_path: Path) -> None:
    owl = tmp_path / "cxrkg.owl"
    shutil.copyfile(BUNDLED, owl)
    assert "no changes logged yet" in _text(_run("history", "--path", str(owl)))
    rec = curation.add_synonym(
        owl, "dr a", "local", kind="finding", name="atelectasis", synonym="atx"
    )
    listed = _run("history", "--json", "--path", str(owl))
    assert json.loads(listed.output.splitlines()[0])["summary"] == rec.summary
    back = _run("restore", rec.version_before, "--reason", "undo", "--path", str(owl))
    assert back.exit_code == 0, back.output
    assert owl.read_bytes() == BUNDLED.read_bytes()
    wrong = _run("restore", "0000", "--path", str(owl))
    assert wrong.exit_code == 1 and "no single saved version" in _text(wrong)


def test_lookup_and_sparql_answer_from_the_ontology() -> None:
    result = _run("lookup", "NGT", "--path", str(BUNDLED))
    assert result.exit_code == 0 and '"enteric tube"' in result.output
    rows = _run(
        "sparql",
        "SELECT ?l WHERE { ?c rdfs:subClassOf ?p . "
        "?p skos:prefLabel 'airspace opacity'@en . ?c skos:prefLabel ?l }",
        "--path",
        str(BUNDLED),
    )
    assert rows.exit_code == 0 and "consolidation" in rows.output.split()


def test_padchest_coverage_matches_every_frequent_label_and_localization() -> None:
    result = _run("coverage", "padchest", "--json", "--path", str(BUNDLED))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.splitlines()[-1])
    for part in ("labels", "localizations"):
        shares = data[part]
        assert abs(sum(s["share"] for s in shares.values()) - 1) < 0.01
        assert shares["exact"]["terms"] + shares["synonym"]["terms"] > 0.9 * sum(
            s["terms"] for s in shares.values()
        )
    assert data["unmatched"] == []


def test_sync_command_mirrors_the_ontology_into_the_configured_store(store) -> None:  # noqa: ANN001
    onto = load_ontology(BUNDLED)
    first = _run("sync", "--path", str(BUNDLED))
    assert first.exit_code == 0, first.output
    assert f"{len(onto.findings)} Finding, {len(onto.regions)} Anatomy" in _text(first)
    rows = store.run("MATCH (f:Finding) RETURN count(f) AS n", read_only=True)
    assert rows == [{"n": len(onto.findings)}]
    again = _run("sync", "--path", str(BUNDLED))
    assert "nothing changed" in _text(again)
