"""What the ingest commands of every room share: their options and how they end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

StrictOpt = Annotated[bool, typer.Option("--strict", help="stop at the first bad study")]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="load at most N studies")]
VerifyOpt = Annotated[
    bool,
    typer.Option(
        "--verify",
        help="compare every stored study with its source, node by node and edge by edge,"
        " and write again (reported) those changed in the graph since they were loaded",
    ),
]

BulkOpt = Annotated[
    bool,
    typer.Option(
        "--bulk",
        help="initial load into an EMPTY graph through the engine's importer (FalkorDB:"
        " falkordb-bulk-loader; Neo4j: writes the neo4j-admin import files to --bulk-dir)",
    ),
]
BulkDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--bulk-dir",
        help="with --bulk: where the CSV files go (kept); required for Neo4j",
    ),
]


def ingest_store(bulk: bool) -> Any:
    """The store an ingest command writes to; none for a Neo4j bulk load, which only
    writes import files (the database is stopped while neo4j-admin imports)."""
    from cxrkg.app.cli import open_store_or_fail
    from cxrkg.config import get_settings

    if bulk and get_settings().backend == "neo4j":
        return None
    return open_store_or_fail()


def finish_ingest(report: Any, console: Console) -> None:
    """Print an IngestReport's summary; exit 2 when a study was rejected."""
    console.print(report.summary())
    if report.rejected:
        raise typer.Exit(2)
