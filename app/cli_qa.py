"""`cxrkg qa`: generate graded QA in the QBA layout, and export the A/B frontal subsets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add the `qa` command group to the cxrkg command."""
    qa_app = typer.Typer(
        help="Question-answer generation over the study subgraphs.", no_args_is_help=True
    )
    app.add_typer(qa_app, name="qa")
    groups["qa"] = qa_app

    @qa_app.command("generate")
    def generate(
        out: Annotated[Path, typer.Option("--out", help="output folder (qa/, metadata/)")],
        studies: Annotated[
            list[str] | None,
            typer.Option("--studies", help="study ids (repeat the option or separate by commas)"),
        ] = None,
        all_studies: Annotated[
            bool, typer.Option("--all", help="every study in the graph")
        ] = False,
        seed: Annotated[int, typer.Option("--seed", help="sampling and wording seed")] = 0,
        workers: Annotated[int, typer.Option("--workers", min=1, help="threads")] = 1,
        write_graph: Annotated[
            bool,
            typer.Option("--write-graph", help="also store Question/Answer nodes in the graph"),
        ] = False,
        infer_absent: Annotated[
            bool,
            typer.Option(
                "--infer-absent-subfindings",
                help="answer 'no' for a never-mentioned finding when its broader findings"
                " (ontology) are all certainly negated",
            ),
        ] = False,
        judge: Annotated[
            bool, typer.Option("--judge", help="rate QA with the LLM judge (CXRKG_LLM_* endpoint)")
        ] = False,
    ) -> None:
        """Generate QA for the given studies (or --all) and write them in the QBA layout."""
        from cxrkg.app.cli import console, fail, open_store_or_fail
        from cxrkg.qa_gen.generate import generate_qa

        if studies and all_studies:
            fail("give either --studies or --all, not both")
        if not studies and not all_studies:
            fail("say which studies: --studies ID (repeatable) or --all")
        # `--studies a,b --studies c` and `--studies a --studies b` both work
        ids = [s for item in (studies or []) for s in item.split(",") if s.strip()]
        store = open_store_or_fail()
        judge_fn = None
        if judge:
            from cxrkg.qa_gen.judge import QAJudge

            judge_fn = QAJudge.from_settings(store.settings)
        report = generate_qa(
            store,
            None if all_studies else ids,
            out,
            seed=seed,
            workers=workers,
            write_graph=write_graph,
            progress=True,
            judge=judge_fn,
            infer_absent=infer_absent,
        )
        console.print(report.summary())
        if (report.missing and not report.studies) or report.refused:
            raise typer.Exit(2)

    @qa_app.command("export")
    def export(
        src: Annotated[Path, typer.Option("--from", help="folder written by `qa generate`")],
        grade: Annotated[
            str, typer.Option("--grade", help="A (fine-tuning) or B (pre-training)")
        ] = "A",
        frontal_only: Annotated[
            bool, typer.Option("--frontal-only/--all-images", help="keep frontal images only")
        ] = True,
        out: Annotated[
            Path | None, typer.Option("--out", help="default: <from>/exports/<grade>_frontal")
        ] = None,
    ) -> None:
        """Write the A_frontal / B_frontal style subset of a generated QA folder."""
        from cxrkg.app.cli import console, fail
        from cxrkg.qa_gen.export import export_subset

        if not (src / "metadata" / "image_metadata.parquet").is_file():
            fail(
                f"{src} holds no metadata/image_metadata.parquet: run `cxrkg qa generate --out"
                f" {src}` first"
            )
        try:
            counts = export_subset(src, grade=grade, frontal_only=frontal_only, out=out)
        except ValueError as exc:
            fail(str(exc))
        console.print(
            f"kept {counts['questions']:,} questions of {counts['studies']:,} studies"
            f" (grade {grade} or better{', frontal images only' if frontal_only else ''})"
        )
