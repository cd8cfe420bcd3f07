"""`cxrkg demo`: the embedded store, the ontology, the demo studies, and a first look at them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cxrkg.cypher.queries import load_query
from cxrkg.cypher.store import GraphStore
from cxrkg.ingest.graph_stats import graph_stats
from cxrkg.ingest.load import IngestReport, ingest_qba

# The three example queries the demo runs, with the parameters it gives them.
EXAMPLES: tuple[tuple[str, dict[str, object]], ...] = (
    ("explore/observations_in_region", {"region": "left lung", "limit": 10}),
    ("explore/studies_with_finding", {"finding": "pleural effusion", "limit": 10}),
    ("explore/patient_timeline", {"patient_id": "p10000001"}),
)


def demo_dir() -> Path:
    return Path(str(resources.files("cxrkg.demo"))) / "qba"


def load_demo(store: GraphStore, *, progress: bool = True) -> IngestReport:
    """Sync the ontology (when there is one) and load the demo sample."""
    sync_ontology_if_present(store)
    return ingest_qba(store, demo_dir(), progress=progress)


def sync_ontology_if_present(store: GraphStore) -> str | None:
    """Mirror the bundled/curated ontology into the graph; None if no ontology is installed."""
    try:
        from cxrkg.ontology import load_ontology
        from cxrkg.ontology.sync import sync_ontology
    except ImportError:
        return None
    report = sync_ontology(store, load_ontology())
    return report.summary()


def run_demo(store: GraphStore, console: Console) -> None:
    from cxrkg.app.cli import counts_table

    console.print(f"[bold]cxrkg demo[/bold] on {store.describe()}")
    ontology = sync_ontology_if_present(store)
    console.print(f"ontology: {ontology}" if ontology else "ontology: none installed, skipped")
    report = ingest_qba(store, demo_dir())
    console.print(report.summary())
    if ontology:  # link the freshly loaded studies too
        sync_ontology_if_present(store)
    console.print(counts_table(graph_stats(store)))
    for name, params in EXAMPLES:
        query = load_query(name)
        rows = store.run_named(query, params, read_only=True)
        console.print(f"\n[bold]{name}[/bold]: {query.description}")
        console.print(
            f"[dim]cxrkg query {name} "
            + " ".join(
                f"-p {k}={v!r}" if isinstance(v, str) else f"-p {k}={v}" for k, v in params.items()
            )
            + "[/dim]"
        )
        if not rows:
            console.print("[dim](no rows)[/dim]")
            continue
        table = Table(*rows[0].keys())
        for row in rows:
            table.add_row(*(str(v) for v in row.values()))
        console.print(table)
    console.print("\nNext: `cxrkg query --list`, `cxrkg stats`, `cxrkg app`.")
