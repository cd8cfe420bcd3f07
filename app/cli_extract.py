"""`cxrkg ingest reports|iu|padchest` and `cxrkg eval labels|boxes`: each a single call into
the extraction and evaluation library."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cxrkg.app.cli_options import (
    BulkDirOpt,
    BulkOpt,
    LimitOpt,
    StrictOpt,
    finish_ingest,
    ingest_store,
)
from cxrkg.ingest.model import IngestError

console = Console()

ExtractorOpt = Annotated[
    str, typer.Option("--extractor", help="rules (default, no model) or llm (settings llm_*)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the result as JSON")]


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add report/IU/PadChest ingestion to `ingest` and the `eval` group to `app`."""
    from cxrkg.app.cli import fail, open_store_or_fail

    ingest_app = groups["ingest"]
    eval_app = typer.Typer(
        help="Scene graphs against real reference labels and boxes.", no_args_is_help=True
    )
    app.add_typer(eval_app, name="eval")
    groups["eval"] = eval_app

    @ingest_app.command("reports")
    def ingest_reports(
        path: Annotated[Path, typer.Argument(help="a .txt / .csv / IU .xml or .tgz, or a folder")],
        extractor: ExtractorOpt = "rules",
        report_column: Annotated[
            str | None, typer.Option(help="CSV column with the report")
        ] = None,
        study_column: Annotated[
            str | None, typer.Option(help="CSV column with the study id")
        ] = None,
        patient_column: Annotated[
            str | None, typer.Option(help="CSV column with the patient id")
        ] = None,
        strict: StrictOpt = False,
        limit: LimitOpt = None,
        executor: Annotated[
            str,
            typer.Option(
                "--executor",
                help="local (this process) or ray (extraction in Ray actors; this process loads)",
            ),
        ] = "local",
        ray_address: Annotated[
            str | None,
            typer.Option(
                "--ray-address", help="Ray cluster to join (auto, HOST:6379); default: a local one"
            ),
        ] = None,
        bulk: BulkOpt = False,
        bulk_dir: BulkDirOpt = None,
    ) -> None:
        """Extract scene graphs from free-text reports (MIMIC-CXR .txt, CSV, IU XML) and load them."""
        from cxrkg.ingest.sources.reports import ReportSourceError
        from cxrkg.ingest.sources.reports import ingest_reports as run
        from cxrkg.ray_tasks import RayUnavailable

        store = ingest_store(bulk)
        try:
            report = run(
                store,
                path,
                extractor=extractor,
                limit=limit,
                strict=strict,
                executor=executor,
                ray_address=ray_address,
                bulk=bulk,
                bulk_dir=bulk_dir,
                report_column=report_column,
                study_column=study_column,
                patient_column=patient_column,
            )
        except (ReportSourceError, IngestError, ValueError, RayUnavailable) as exc:
            fail(str(exc), 2)
        finish_ingest(report, console)

    @ingest_app.command("iu")
    def ingest_iu(
        extractor: ExtractorOpt = "rules",
        strict: StrictOpt = False,
        limit: LimitOpt = None,
        bulk: BulkOpt = False,
        bulk_dir: BulkDirOpt = None,
    ) -> None:
        """Extract and load the 3,955 Indiana University reports (read from the
        torchxrayvision wheel, fetched once into the cache)."""
        from cxrkg.ingest.sources.iu import ingest_iu as run
        from cxrkg.ingest.sources.txv_wheel import WheelUnavailable

        store = ingest_store(bulk)
        try:
            report = run(
                store,
                extractor=extractor,
                limit=limit,
                strict=strict,
                bulk=bulk,
                bulk_dir=bulk_dir,
            )
        except (WheelUnavailable, IngestError, ValueError) as exc:
            fail(str(exc), 2)
        finish_ingest(report, console)

    @ingest_app.command("padchest")
    def ingest_padchest(
        path: Annotated[
            Path | None, typer.Option("--path", help="labels CSV (default: the wheel's)")
        ] = None,
        strict: StrictOpt = False,
        limit: LimitOpt = None,
        bulk: BulkOpt = False,
        bulk_dir: BulkDirOpt = None,
    ) -> None:
        """Load PadChest's 160,000 label rows as scene graphs (one observation per sentence group)."""
        from cxrkg.ingest.sources.padchest import ingest_padchest as run
        from cxrkg.ingest.sources.txv_wheel import WheelUnavailable

        store = ingest_store(bulk)
        try:
            report = run(store, path=path, limit=limit, strict=strict, bulk=bulk, bulk_dir=bulk_dir)
        except (WheelUnavailable, IngestError, ValueError) as exc:
            fail(str(exc), 2)
        finish_ingest(report, console)

    @eval_app.command("labels")
    def eval_labels(
        reference: Annotated[
            str, typer.Option("--reference", help="'iu' (MeSH terms) or a study_id x label CSV")
        ] = "iu",
        min_certainty: Annotated[
            str, typer.Option(help="certain, likely or uncertain: what counts as positive")
        ] = "uncertain",
        major_only: Annotated[
            bool, typer.Option("--major-only", help="IU: MeSH major terms only")
        ] = False,
        top: Annotated[int, typer.Option(help="classes to list (most frequent first)")] = 10,
        as_json: JsonOpt = False,
    ) -> None:
        """Matthews correlation per class and micro-averaged, loaded graphs vs reference labels."""
        from cxrkg.ingest.evaluate import EvaluationError, evaluate_labels_in_store

        store = open_store_or_fail()
        try:
            result = evaluate_labels_in_store(
                store, reference, min_certainty=min_certainty, automatic=not major_only
            )
        except EvaluationError as exc:
            fail(str(exc), 2)
        if as_json:
            sys.stdout.write(
                json.dumps(
                    {
                        "studies": result.studies,
                        "micro_mcc": result.micro,
                        "classes": result.table(),
                        "coverage": result.coverage,
                    },
                    default=str,
                )
                + "\n"
            )
            return
        table = Table(
            "class",
            "support",
            "TP",
            "FP",
            "FN",
            "MCC",
            title=f"{result.studies} studies; micro MCC {result.micro:.3f} over "
            f"{len(result.classes)} classes",
        )
        for row in result.table(top):
            table.add_row(
                row["class"],
                str(row["support"]),
                str(row["tp"]),
                str(row["fp"]),
                str(row["fn"]),
                f"{row['mcc']:.3f}",
            )
        console.print(table)

    @eval_app.command("boxes")
    def eval_boxes(
        reference: Annotated[
            str, typer.Option("--reference", help="'nih' or a CSV in the BBox_List_2017 layout")
        ] = "nih",
        threshold: Annotated[float, typer.Option(help="IoU/IoP/IoT threshold")] = 0.3,
        as_json: JsonOpt = False,
    ) -> None:
        """Pixel IoU / IoP / IoT at a threshold, per finding and micro-averaged."""
        from cxrkg.ingest.evaluate import EvaluationError, evaluate_boxes_in_store

        store = open_store_or_fail()
        try:
            result = evaluate_boxes_in_store(store, reference, threshold=threshold)
        except EvaluationError as exc:
            fail(str(exc), 2)
        if as_json:
            sys.stdout.write(
                json.dumps(
                    {"pairs": result.pairs, "micro": result.micro, "per_class": result.per_class}
                )
                + "\n"
            )
            return
        pct = int(threshold * 100)
        table = Table(
            "finding",
            "pairs",
            f"IoU@{pct}",
            f"IoP@{pct}",
            f"IoT@{pct}",
            title=f"{result.pairs} image-finding pairs",
        )
        for cls, s in sorted(result.per_class.items()):
            table.add_row(
                cls, str(int(s["pairs"])), f"{s['IoU']:.2f}", f"{s['IoP']:.2f}", f"{s['IoT']:.2f}"
            )
        table.add_row(
            "micro", str(result.pairs), *(f"{result.micro[m]:.2f}" for m in ("IoU", "IoP", "IoT"))
        )
        console.print(table)
