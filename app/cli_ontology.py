"""`cxrkg ontology ...`: validate, sync, export, stats, history, restore, coverage, sparql, lookup.

Each command parses its options, calls one library function of `cxrkg.ontology`, and prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)

PathOpt = Annotated[
    Path | None,
    typer.Option(
        "--path",
        help="OWL file (default: CXRKG_ONTOLOGY_PATH, the curated copy, or the bundled ontology)",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def _load(path: Path | None):  # noqa: ANN202 - Ontology, imported lazily
    from cxrkg.ontology import OntologyFileError, load_ontology

    if path is not None and not path.is_file():
        _fail(f"no ontology file at {path}")
    try:
        return load_ontology(path)
    except OntologyFileError as exc:
        _fail(f"{exc}; run `cxrkg ontology validate` for details")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    onto_app = typer.Typer(
        help="The reference ontology (OWL): validate, sync into the graph, export, curate history.",
        no_args_is_help=True,
    )
    app.add_typer(onto_app, name="ontology")
    groups["ontology"] = onto_app

    @onto_app.command("validate")
    def validate(
        path: PathOpt = None,
        no_reasoner: Annotated[
            bool, typer.Option("--no-reasoner", help="structural checks only (skip HermiT)")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """HermiT consistency (needs Java) and structural checks; exit 1 on errors."""
        from cxrkg.ontology.validation import validate_file

        if path is not None and not path.is_file():
            _fail(f"no ontology file at {path}")
        report = validate_file(path, reasoner=not no_reasoner)
        if as_json:
            sys.stdout.write(
                json.dumps(
                    {
                        "path": report.path,
                        "ok": report.ok,
                        "reasoner": report.reasoner,
                        "counts": report.counts,
                        "problems": [
                            {
                                "check": p.check,
                                "severity": p.severity,
                                "message": p.message,
                                "concepts": list(p.concepts),
                            }
                            for p in report.problems
                        ],
                    }
                )
                + "\n"
            )
        else:
            console.print(report.summary(), markup=False, highlight=False)
        raise typer.Exit(0 if report.ok else 1)

    @onto_app.command("sync")
    def sync(path: PathOpt = None, as_json: JsonOpt = False) -> None:
        """Mirror the ontology into the graph and relink observations and study regions."""
        from cxrkg.app.cli import open_store_or_fail
        from cxrkg.cypher.store import StoreError
        from cxrkg.ontology.sync import sync_ontology

        onto = _load(path)
        store = open_store_or_fail()
        try:
            report = sync_ontology(store, onto)
        except StoreError as exc:
            _fail(str(exc))
        if as_json:
            sys.stdout.write(json.dumps(report.__dict__, default=str) + "\n")
        else:
            console.print(report.summary(), markup=False, highlight=False)

    @onto_app.command("export")
    def export(
        fmt: Annotated[str, typer.Option("--format", "-f", help="ttl, owl, json or csv")] = "ttl",
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="file to write (default: standard output)"),
        ] = None,
        path: PathOpt = None,
    ) -> None:
        """Export the ontology (Turtle loads into Neo4j with n10s.onto.import.inline)."""
        from cxrkg.ontology.export import ExportError, export_text, write_export

        onto = _load(path)
        try:
            if out is None:
                sys.stdout.write(export_text(onto, fmt))
            else:
                write_export(onto, fmt, out)
                console.print(f"wrote {out}")
        except ExportError as exc:
            _fail(str(exc))

    @onto_app.command("stats")
    def stats(path: PathOpt = None, as_json: JsonOpt = False) -> None:
        """Counts per category, hierarchy depth, synonyms, codes."""
        from cxrkg.ontology.export import stats as onto_stats

        data = onto_stats(_load(path))
        if as_json:
            sys.stdout.write(json.dumps(data) + "\n")
            return
        console.print(f"ontology {data['version']} ({data['path']})")
        for kind in ("findings", "regions"):
            table = Table("measure", "value", title=kind)
            for key, value in data[kind].items():
                shown = (
                    ", ".join(f"{k}: {v}" for k, v in value.items())
                    if isinstance(value, dict)
                    else str(value)
                )
                table.add_row(key, shown)
            console.print(table)

    @onto_app.command("history")
    def history(path: PathOpt = None, as_json: JsonOpt = False) -> None:
        """The change log of the ontology file, oldest first."""
        from cxrkg.ontology.curation import CurationError
        from cxrkg.ontology.curation import history as onto_history

        try:
            records = onto_history(path)
        except CurationError as exc:
            _fail(str(exc))
        if as_json:
            for r in records:
                sys.stdout.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
            return
        if not records:
            console.print("no changes logged yet (the ontology is as shipped)")
            return
        table = Table("#", "when", "user", "change", "reason", "version")
        for r in records:
            table.add_row(str(r.id), r.when, r.user, r.summary, r.reason, r.version_after)
        console.print(table)

    @onto_app.command("restore")
    def restore(
        version: Annotated[str, typer.Argument(help="a version id from `history`")],
        reason: Annotated[str, typer.Option("--reason", help="why")] = "",
        user: Annotated[str | None, typer.Option("--user")] = None,
        path: PathOpt = None,
    ) -> None:
        """Bring back an earlier version of the ontology file exactly (logged)."""
        from cxrkg.config import get_settings
        from cxrkg.ontology.curation import CurationError
        from cxrkg.ontology.curation import restore as onto_restore

        try:
            rec = onto_restore(version, path, user=user or get_settings().user, reason=reason)
        except CurationError as exc:
            _fail(str(exc))
        console.print(
            f"{rec.summary}: now at {rec.version_after}; run `cxrkg ontology sync` "
            "to update the graph"
        )

    @onto_app.command("coverage")
    def coverage(
        source: Annotated[str, typer.Argument(help="padchest")] = "padchest",
        path: PathOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Share of a dataset's labels and localizations the ontology matches."""
        from cxrkg.ingest.sources.txv_wheel import WheelUnavailable
        from cxrkg.ontology.coverage import CoverageReport, coverage_padchest

        if source != "padchest":
            _fail(f"unknown coverage source {source!r}; supported: padchest")
        onto = _load(path)
        try:
            report = coverage_padchest(onto)
        except WheelUnavailable as exc:
            _fail(str(exc))
        if as_json:
            sys.stdout.write(
                json.dumps(
                    {
                        "labels": CoverageReport.shares(report.labels),
                        "localizations": CoverageReport.shares(report.localizations),
                        "unmatched": [
                            m.text
                            for m in report.labels + report.localizations
                            if m.how == "unmatched"
                        ],
                    }
                )
                + "\n"
            )
            return
        console.print(report.summary(), markup=False, highlight=False)

    @onto_app.command("sparql")
    def sparql(
        query: Annotated[
            str,
            typer.Argument(help="SPARQL SELECT (prefixes cx, skos, rdfs, owl, rdf are declared)"),
        ],
        engine: Annotated[str, typer.Option(help="auto, owlready2 or rdflib")] = "auto",
        path: PathOpt = None,
    ) -> None:
        """Run SPARQL over the ontology (owlready2's native engine, rdflib as fallback)."""
        from cxrkg.ontology.sparql import SparqlError
        from cxrkg.ontology.sparql import sparql as run_sparql

        try:
            used, rows = run_sparql(query, path, engine=engine)
        except SparqlError as exc:
            _fail(str(exc))
        for row in rows:
            sys.stdout.write("\t".join(str(v) for v in row) + "\n")
        err.print(f"{len(rows)} rows ({used})")

    @onto_app.command("lookup")
    def lookup(
        text: Annotated[str, typer.Argument(help="a name, synonym or abbreviation")],
        kind: Annotated[str | None, typer.Option(help="finding or region")] = None,
        path: PathOpt = None,
    ) -> None:
        """Show the concept a surface form maps to, with its ancestors."""
        onto = _load(path)
        if kind not in (None, "finding", "region"):
            _fail("--kind is 'finding' or 'region'")
        c = onto.get(text, kind)
        if c is None:
            _fail(f"{text!r} is not a name or synonym in the ontology")
        data: dict[str, Any] = c.to_json()
        data["ancestors"] = onto.ancestors(c.name)
        data["children"] = onto.children(c.name)
        console.print_json(json.dumps(data))
