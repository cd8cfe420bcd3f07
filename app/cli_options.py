"""What the ingest commands of every room share: their options and how they end."""

from __future__ import annotations

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


def finish_ingest(report: Any, console: Console) -> None:
    """Print an IngestReport's summary; exit 2 when a study was rejected."""
    console.print(report.summary())
    if report.rejected:
        raise typer.Exit(2)
