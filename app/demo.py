"""`cxrkg demo`: the embedded store, the ontology, the demo studies, and a first look at them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cxrkg.cypher.queries import load_query
from cxrkg.cypher.store import GraphStore
from cxrkg.ingest.graph_stats import graph_stats
from cxrkg.ingest.load import IngestReport, ingest_qba
from cxrkg.ontology import load_ontology
from cxrkg.ontology.sync import sync_ontology

# The three example queries the demo runs, with the parameters it gives them.
EXAMPLES: tuple[tuple[str, dict[str, object]], ...] = (
    ("explore/observations_in_region", {"region": "left lung", "limit": 10}),
    ("explore/studies_with_finding", {"finding": "pleural effusion", "limit": 10}),
    ("explore/patient_timeline", {"patient_id": "p10000001"}),
)


# Every demo study id starts with it (s50000001 ...): the demo's QA covers only its own studies.
DEMO_STUDY_PREFIX = "s5000"


def demo_dir() -> Path:
    return Path(str(resources.files("cxrkg.demo"))) / "qba"


def load_demo(store: GraphStore, *, progress: bool = True) -> IngestReport:
    """Mirror the ontology into the graph, then load the demo sample (the loader links its
    observations and regions to the ontology's nodes as it writes them)."""
    sync_ontology(store, load_ontology())
    return ingest_qba(store, demo_dir(), progress=progress)


def run_demo(store: GraphStore, console: Console) -> None:
    from cxrkg.app.cli import counts_table

    console.print(f"[bold]cxrkg demo[/bold] on {store.describe()}")
    console.print(f"ontology: {sync_ontology(store, load_ontology()).summary()}")
    report = ingest_qba(store, demo_dir())
    console.print(report.summary())
    qa = generate_demo_qa(store, store.settings.home / "demo-qa")
    console.print(qa.summary())
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
    show_example_question(store.settings.home / "demo-qa", console)
    console.print(
        "\nNext: `cxrkg query --list`, `cxrkg stats`, and the app: `cxrkg users add NAME"
        " --role admin` once, then `cxrkg app`."
    )


def generate_demo_qa(store: GraphStore, out_dir: Path):  # noqa: ANN201 - a qa_gen QAReport
    """Graded QA for the demo studies, exported in the QBA layout and stored in the graph."""
    from cxrkg.qa_gen.generate import generate_qa

    rows = store.run_named(
        "graph/study_ids_with_prefix", {"prefix": DEMO_STUDY_PREFIX}, read_only=True
    )
    ids = [r["study_id"] for r in rows]
    return generate_qa(store, ids, out_dir, seed=0, write_graph=True)


def show_example_question(out_dir: Path, console: Console, study: str = "s50000008") -> None:
    """Print one generated question of the demo with its answer tree."""
    from cxrkg.qa_gen.export import QA_ZIP, load_qa
    from cxrkg.qa_gen.model import Answer, QAFileError

    if not (out_dir / QA_ZIP).is_file():
        return
    try:
        questions = load_qa(out_dir, "p10000004", study).questions
    except QAFileError:
        return
    q = next((q for q in questions if q.question_type.startswith("D02")), questions[0])
    console.print(
        f"\n[bold]example question[/bold] ({q.question_type}, grade {q.rating}): {q.question}"
    )

    def show(answers: list[Answer], depth: int) -> None:
        for a in answers:
            boxes = sum(len(loc.bboxes) for loc in a.localization.values())
            console.print(
                f"{'  ' * depth}- {escape('[' + a.answer_type + ']')} {escape(a.text)}"
                f" [dim]({boxes} boxes)[/dim]"
            )
            show(a.sub_answers, depth + 1)

    show(q.answers, 1)
    console.print(f"[dim]the QA release: {out_dir} (qa.zip, metadata/, exports/)[/dim]")
