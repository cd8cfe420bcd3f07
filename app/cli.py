"""The `cxrkg` command: a thin layer over the library; each command calls one library function."""

from __future__ import annotations

import errno
import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cxrkg.app.cli_options import (
    BulkDirOpt,
    BulkOpt,
    LimitOpt,
    StrictOpt,
    VerifyOpt,
    finish_ingest,
    ingest_store,
)

app = typer.Typer(
    help="cxrkg: chest X-ray scene graphs, ontology and QA in a graph database.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The embedded FalkorDB server.", no_args_is_help=True)
ingest_app = typer.Typer(help="Load studies into the graph.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")

console = Console()
err = Console(stderr=True)

# Each room may add its commands: app/cli_<room>.py defines register(app, groups).
_ROOM_COMMANDS = ("cli_ontology", "cli_extract", "cli_qa", "cli_webapp", "cli_users")


def _register_rooms() -> None:
    groups = {"db": db_app, "ingest": ingest_app}
    for module in _ROOM_COMMANDS:
        try:
            mod = importlib.import_module(f"cxrkg.app.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"cxrkg.app.{module}":
                continue
            raise
        mod.register(app, groups)


def fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def open_store_or_fail():  # noqa: ANN201 - the store type is imported lazily
    from cxrkg.cypher.server import ServerError
    from cxrkg.cypher.store import StoreError, open_store

    try:
        return open_store()
    except (StoreError, ServerError) as exc:
        fail(str(exc))


# -- db ----------------------------------------------------------------------------------
def _server():  # noqa: ANN202
    from cxrkg.config import get_settings
    from cxrkg.cypher.server import EmbeddedFalkorDB

    settings = get_settings()
    if settings.backend != "falkordb":
        fail(f"the backend is {settings.backend}; `cxrkg db` manages the embedded FalkorDB only")
    return EmbeddedFalkorDB(settings)


@db_app.command("start")
def db_start() -> None:
    """Start the embedded FalkorDB (data under CXRKG_HOME); a server that is loading its
    data is waited for, with progress, never started twice."""
    from cxrkg.cypher.server import ServerError

    try:
        console.print(_server().start().describe())
    except ServerError as exc:
        fail(str(exc))


@db_app.command("stop")
def db_stop(
    force: Annotated[
        bool, typer.Option("--force", help="stop even if it cannot save (a full disk)")
    ] = False,
) -> None:
    """Stop the embedded FalkorDB, its data saved as one snapshot for a fast restart."""
    from cxrkg.cypher.server import ServerError

    server = _server()
    try:
        stopped = server.stop(force=force)
    except ServerError as exc:
        fail(str(exc))
    if stopped:
        console.print(f"FalkorDB stopped (data kept in {server.data_dir})")
    else:
        console.print("FalkorDB was not running")


@db_app.command("status")
def db_status() -> None:
    """Is the embedded FalkorDB running (or loading), where, with how much memory, and
    can it write its files."""
    from cxrkg.cypher.server import ServerError

    try:
        status = _server().status()
    except ServerError as exc:
        fail(str(exc))
    console.print(status.describe())
    raise typer.Exit(0 if status.running else 3)


@db_app.command("reset")
def db_reset(yes: Annotated[bool, typer.Option("--yes", help="really delete")] = False) -> None:
    """Delete the whole graph (studies, ontology mirror, QA)."""
    if not yes:
        fail("this deletes the whole graph; run again with --yes")
    store = open_store_or_fail()
    store.clear()
    store.setup_schema()
    console.print(f"cleared {store.describe()}")


# -- ingest ------------------------------------------------------------------------------
@ingest_app.command("qba")
def ingest_qba(
    path: Annotated[Path, typer.Argument(help="QBA tree or scene_data.zip")],
    strict: StrictOpt = False,
    limit: LimitOpt = None,
    image_metadata: Annotated[
        Path | None,
        typer.Option(
            "--image-metadata",
            help="the release's image_metadata.parquet/.csv.gz (default: metadata/ beside PATH)",
        ),
    ] = None,
    verify: VerifyOpt = False,
    bulk: BulkOpt = False,
    bulk_dir: BulkDirOpt = None,
) -> None:
    """Load MIMIC-Ext-CXR-QBA scene graphs (a p1x/... tree or scene_data.zip, read in place)."""
    from cxrkg.ingest import load

    store = ingest_store(bulk)
    try:
        report = load.ingest_qba(
            store,
            path,
            image_metadata=image_metadata,
            strict=strict,
            limit=limit,
            verify=verify,
            bulk=bulk,
            bulk_dir=bulk_dir,
        )
    except load.IngestError as exc:
        fail(str(exc), 2)
    finish_ingest(report, console)


@ingest_app.command("imagenome")
def ingest_imagenome(
    path: Annotated[Path, typer.Argument(help="folder of *_SceneGraph.json")],
    strict: StrictOpt = False,
    limit: LimitOpt = None,
    verify: VerifyOpt = False,
    bulk: BulkOpt = False,
    bulk_dir: BulkDirOpt = None,
) -> None:
    """Load Chest ImaGenome scene graphs (images of one study are merged)."""
    from cxrkg.ingest import load

    store = ingest_store(bulk)
    try:
        report = load.ingest_imagenome(
            store, path, strict=strict, limit=limit, verify=verify, bulk=bulk, bulk_dir=bulk_dir
        )
    except load.IngestError as exc:
        fail(str(exc), 2)
    finish_ingest(report, console)


# -- query and stats -----------------------------------------------------------------------
def _parse_param(text: str) -> tuple[str, Any]:
    if "=" not in text:
        fail(f"--param {text!r}: write NAME=VALUE (VALUE is JSON, or else a string)")
    name, raw = text.split("=", 1)
    try:
        return name, json.loads(raw)
    except json.JSONDecodeError:
        return name, raw


@app.command("query")
def query(
    cypher: Annotated[
        str | None, typer.Argument(help="Cypher text, or a saved query's name")
    ] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per row")] = False,
    list_saved: Annotated[bool, typer.Option("--list", help="list the saved queries")] = False,
    timeout_ms: Annotated[
        int | None,
        typer.Option(
            "--timeout", help="time limit in milliseconds (default: CXRKG_QUERY_TIMEOUT_S)"
        ),
    ] = None,
) -> None:
    """Run a read-only Cypher query (literal text, or the name of a saved query).

    Every read has a time limit and a memory limit (CXRKG_QUERY_TIMEOUT_S,
    CXRKG_QUERY_MEMORY_MB); a query past either is stopped with a message."""
    from cxrkg.cypher.queries import list_queries, load_query
    from cxrkg.cypher.store import StoreError, to_jsonable

    if list_saved:
        for q in list_queries("explore"):
            params = ", ".join(f"${p}" for p in q.params)
            console.print(f"[bold]{q.name}[/bold]  {q.description}  [dim]{params}[/dim]")
        return
    if not cypher:
        fail("give a Cypher query or a saved query's name (`cxrkg query --list`)")
    params = dict(_parse_param(p) for p in (param or []))
    store = open_store_or_fail()
    is_name = "/" in cypher and " " not in cypher.strip()
    try:
        if is_name:
            rows = store.run_named(
                load_query(cypher), params, read_only=True, timeout_ms=timeout_ms
            )
        else:
            rows = store.run(cypher, params, read_only=True, timeout_ms=timeout_ms)
    except KeyError as exc:
        fail(str(exc))
    except StoreError as exc:
        fail(str(exc))
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(to_jsonable(row), ensure_ascii=False, default=str) + "\n")
        return
    _print_rows(rows)


def _print_rows(rows: list[dict[str, Any]]) -> None:
    from cxrkg.cypher.store import to_jsonable

    if not rows:
        console.print("[dim](no rows)[/dim]")
        return
    table = Table(*rows[0].keys())
    for row in rows:
        table.add_row(
            *(
                json.dumps(to_jsonable(v), ensure_ascii=False, default=str)
                if not isinstance(v, str)
                else v
                for v in row.values()
            )
        )
    console.print(table)


@app.command("stats")
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Counts of nodes per label and relationships per type."""
    from cxrkg.ingest.graph_stats import graph_stats

    store = open_store_or_fail()
    counts = graph_stats(store)
    if as_json:
        sys.stdout.write(json.dumps(counts) + "\n")
        return
    console.print(counts_table(counts))


def counts_table(counts: dict[str, dict[str, int]]) -> Table:
    table = Table("kind", "name", "count", title="graph contents")
    for kind in ("nodes", "relationships"):
        for name, n in counts[kind].items():
            table.add_row(kind, name, f"{n:,}")
    return table


@app.command("demo")
def demo() -> None:
    """Start the store, load the ontology and the demo studies, show stats and example queries."""
    from cxrkg.app.demo import run_demo

    store = open_store_or_fail()
    run_demo(store, console)


def main() -> None:
    try:
        app()
    except OSError as exc:  # a full disk or a folder we may not write, wherever it shows
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS):
            raise
        from cxrkg.cypher.server import os_error_message

        where = Path(exc.filename) if exc.filename else Path.cwd()
        err.print(f"[red]error:[/red] {os_error_message(exc, where)}")
        raise SystemExit(1) from None


_register_rooms()

if __name__ == "__main__":
    main()
