"""The QA audit on the terminal: targets, agreement per type / grade / finding, examples."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from cxrkg.qa_gen.audit import QAAudit, Tally


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _tally_table(title: str, first: str, rows: list[tuple[str, Tally]]) -> Table:
    table = Table(first, "asked", "scored", "agree", "contradict", "agreement", title=title)
    for name, t in rows:
        r = t.row()
        table.add_row(
            name,
            f"{r['asked']:,}",
            f"{r['scored']:,}",
            f"{r['agree']:,}",
            f"{r['contradict']:,}",
            _pct(r["agreement"]),
        )
    return table


def render_audit(audit: QAAudit, console: Console, *, top: int = 15) -> None:
    t = audit.targets()
    console.print(f"[bold]QA audit against {audit.reference}[/bold]: {audit.studies:,} studies")
    n_norm, n_dev = t["reference_normal_studies"], t["reference_device_studies"]
    lines: list[tuple[str, Any]] = [
        (
            f"B03 'Yes' on reference-normal studies ({n_norm:,})",
            f"{t['B03_yes_on_normal']:,} of {t['B03_asked_on_normal']:,} asked"
            f" = {_pct(t['B03_yes_on_normal_of_asked'])}",
        ),
        (
            "B04 'Yes' on them",
            f"{t['B04_yes_on_normal']:,} of {n_norm:,} = {_pct(t['B04_yes_on_normal_of_all'])}"
            f" (asked in {t['B04_asked_on_normal']:,})",
        ),
        (
            f"B13 'Yes' on studies the reference gives devices ({n_dev:,})",
            f"{t['B13_yes_on_device_studies']:,} of {n_dev:,}"
            f" = {_pct(t['B13_yes_on_device_studies_of_all'])}"
            f" (asked in {t['B13_asked_on_device_studies']:,})",
        ),
        (
            "D-family questions about normal / no finding / abnormal / disease",
            f"{t['D_questions_on_generic_findings']:,}",
        ),
    ]
    for label, value in lines:
        console.print(f"  {label}: [bold]{value}[/bold]")
    console.print(
        _tally_table("per question type", "type", sorted(audit.by_type.items())),
        _tally_table("per grade", "grade", sorted(audit.by_grade.items())),
        _tally_table(
            f"D02/D06 per finding (top {top})",
            "finding",
            sorted(audit.by_finding.items(), key=lambda kv: -kv[1].scored)[:top],
        ),
    )
    for qtype, examples in sorted(audit.examples.items()):
        console.print(f"[bold]{qtype}[/bold]: disagreements")
        for e in examples:
            console.print(
                f"  {e.study_id}: {e.question} -> {e.answer!r}; reference says {e.reference}"
                f" (labels: {', '.join(e.labels) or 'none'})"
            )
            for s in e.sentences[:4]:
                console.print(f"      report: {s}")
