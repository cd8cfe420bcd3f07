"""`cxrkg qa`: generate graded QA as a MIMIC-Ext-CXR-QBA release, and rebuild its exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_SUBSET_SIZE = 1_000_000  # as qa_gen.export, without importing it for --help
PART_SIZE = 1000  # as qa_gen.run
SubsetOpt = Annotated[
    int,
    typer.Option(
        "--subset-size", min=1, help="questions in each q1M-style random subset (default 1M)"
    ),
]
NoLongitudinalOpt = Annotated[
    bool,
    typer.Option(
        "--no-longitudinal",
        help="leave out cxrkg's own longitudinal (E) questions: strict QBA layout",
    ),
]


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add the `qa` command group to the cxrkg command."""
    qa_app = typer.Typer(
        help="Question-answer generation over the study subgraphs.", no_args_is_help=True
    )
    app.add_typer(qa_app, name="qa")
    groups["qa"] = qa_app

    @qa_app.command("generate")
    def generate(
        out: Annotated[
            Path,
            typer.Option(
                "--out",
                help="release folder (qa.zip, scene_data.zip, metadata/, stats/, exports/)",
            ),
        ],
        studies: Annotated[
            list[str] | None,
            typer.Option("--studies", help="study ids (repeat the option or separate by commas)"),
        ] = None,
        all_studies: Annotated[
            bool, typer.Option("--all", help="every study in the graph")
        ] = False,
        seed: Annotated[int, typer.Option("--seed", help="sampling and wording seed")] = 0,
        workers: Annotated[
            int,
            typer.Option("--workers", min=1, help="worker processes (one store connection each)"),
        ] = 1,
        write_graph: Annotated[
            bool,
            typer.Option("--write-graph", help="also store Question/Answer nodes in the graph"),
        ] = False,
        infer_absent: Annotated[
            bool,
            typer.Option(
                "--infer-absent-subfindings/--no-infer-absent-subfindings",
                help="answer 'no' for a never-mentioned finding when its broader findings"
                " (ontology) are all certainly negated (on by default)",
            ),
        ] = True,
        judge: Annotated[
            bool, typer.Option("--judge", help="rate QA with the LLM judge (CXRKG_LLM_* endpoint)")
        ] = False,
        subset_size: SubsetOpt = DEFAULT_SUBSET_SIZE,
        no_longitudinal: NoLongitudinalOpt = False,
        shard: Annotated[
            str | None,
            typer.Option(
                "--shard",
                help="write only shard i of n (1/4 .. 4/4) of the release's parts; merge the"
                " shards' outputs with `cxrkg qa merge`",
            ),
        ] = None,
        executor: Annotated[
            str,
            typer.Option(
                "--executor", help="local (this machine; --workers processes) or ray (Ray tasks)"
            ),
        ] = "local",
        ray_address: Annotated[
            str | None,
            typer.Option(
                "--ray-address",
                help="Ray cluster to join (auto, HOST:6379, ray://HOST:10001); default: a local"
                " one",
            ),
        ] = None,
        resume: Annotated[
            bool,
            typer.Option("--resume", help="keep the finished parts of a stopped run in OUT/parts"),
        ] = False,
        part_size: Annotated[
            int,
            typer.Option(
                "--part-size", min=1, help="studies per part (a Ray task; what a stop may redo)"
            ),
        ] = PART_SIZE,
        keep_parts: Annotated[
            bool, typer.Option("--keep-parts", help="keep OUT/parts after the merge")
        ] = False,
    ) -> None:
        """Generate QA for the given studies (or --all) and write the QBA release layout."""
        from cxrkg.app.cli import console, fail, open_store_or_fail
        from cxrkg.qa_gen.export import ReleaseOptions
        from cxrkg.qa_gen.generate import generate_qa
        from cxrkg.qa_gen.run import RunError, RunOptions, parse_shard, unfinished_run
        from cxrkg.ray_tasks import RayUnavailable

        if executor not in ("local", "ray"):
            fail(f"--executor {executor!r}: use local or ray")
        try:
            run = RunOptions(
                shard=parse_shard(shard) if shard else None,
                executor=executor,  # type: ignore[arg-type]
                ray_address=ray_address,
                resume=resume,
                part_size=part_size,
                keep_parts=keep_parts,
            )
        except RunError as exc:
            fail(str(exc))
        left = None if resume or shard else unfinished_run(out)
        if left:
            fail(
                f"{out} holds a stopped run ({left} done): add --resume to finish it, or"
                f" delete {out / 'parts'} to start over"
            )
        if studies and all_studies:
            fail("give either --studies or --all, not both")
        if not studies and not all_studies:
            fail("say which studies: --studies ID (repeatable) or --all")
        # `--studies a,b --studies c` and `--studies a --studies b` both work
        ids = [s for item in (studies or []) for s in item.split(",") if s.strip()]
        store = open_store_or_fail()
        # The judge is made where the QA is (each worker or Ray task makes its own).
        judge_fn = True if judge else None
        try:
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
                release=ReleaseOptions(
                    longitudinal=not no_longitudinal,
                    subset_size=subset_size,
                    seed=seed,
                    progress=True,
                ),
                run=run,
            )
        except (RunError, RayUnavailable) as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            left = unfinished_run(out) or "no parts"
            console.print(
                f"stopped: {left} done in {out / 'parts'}; run the same command with --resume"
                " to finish without redoing them"
            )
            raise typer.Exit(130) from None
        console.print(report.summary())
        if (report.missing and not report.studies) or report.refused:
            raise typer.Exit(2)

    @qa_app.command("export")
    def export(
        src: Annotated[Path, typer.Option("--from", help="release folder of `qa generate`")],
        grade: Annotated[
            str, typer.Option("--grade", help="A (fine-tuning) or B (pre-training)")
        ] = "A",
        frontal_only: Annotated[
            bool, typer.Option("--frontal-only/--all-images", help="keep frontal images only")
        ] = True,
        out: Annotated[
            Path | None, typer.Option("--out", help="default: <from>/exports/<grade>_frontal")
        ] = None,
        subset_size: SubsetOpt = DEFAULT_SUBSET_SIZE,
        seed: Annotated[int, typer.Option("--seed", help="seed of the random subsets")] = 0,
        no_longitudinal: NoLongitudinalOpt = False,
    ) -> None:
        """Rebuild one export (metadata/ with its subsets, scene_graph.zip, qa.zip) of a
        release written by `qa generate`."""
        from cxrkg.app.cli import console, fail
        from cxrkg.qa_gen.export import ReleaseOptions, export_subset
        from cxrkg.qa_gen.model import QAFileError

        options = ReleaseOptions(
            longitudinal=not no_longitudinal, subset_size=subset_size, seed=seed, progress=True
        )
        try:
            counts = export_subset(
                src, grade=grade, frontal_only=frontal_only, out=out, options=options
            )
        except (ValueError, QAFileError) as exc:
            fail(str(exc))
        console.print(
            f"exports/{counts.line()} (grade {grade} or better"
            f"{', frontal images only' if frontal_only else ''})"
        )

    @qa_app.command("merge")
    def merge(
        sources: Annotated[
            list[Path],
            typer.Argument(help="--out folders of `qa generate --shard` runs (holding parts/)"),
        ],
        out: Annotated[Path, typer.Option("--out", help="release folder to write")],
        subset_size: Annotated[
            int | None,
            typer.Option("--subset-size", min=1, help="default: as the shards were run"),
        ] = None,
        seed: Annotated[
            int | None,
            typer.Option("--seed", help="seed of the random subsets (default: the run's)"),
        ] = None,
    ) -> None:
        """Merge the parts written by the shards of one run into one release (the same
        files as one run over all the studies)."""
        from cxrkg.app.cli import console, fail
        from cxrkg.qa_gen.run import RunError, merge_release

        try:
            report = merge_release(
                sources, out, subset_size=subset_size, subset_seed=seed, progress=True
            )
        except RunError as exc:
            fail(str(exc))
        console.print(report.summary())

    @groups["eval"].command("qa")
    def eval_qa(
        reference: Annotated[
            str,
            typer.Option(
                "--reference", help="'iu' (MeSH), 'padchest' (radiologist labels) or a CSV"
            ),
        ] = "iu",
        src: Annotated[
            Path | None,
            typer.Option("--from", help="a `qa generate` output (default: generate in memory)"),
        ] = None,
        limit: Annotated[
            int | None, typer.Option("--limit", help="audit a seeded sample of this many studies")
        ] = None,
        examples: Annotated[int, typer.Option(help="disagreements shown per type")] = 3,
        top: Annotated[int, typer.Option(help="findings listed (most scored first)")] = 15,
        study_column: Annotated[str | None, typer.Option(help="CSV: the study id column")] = None,
        seed: Annotated[int, typer.Option("--seed", help="QA generation seed")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="print the audit as JSON")] = False,
    ) -> None:
        """Yes/no answers (B03/B04/C03/C04/D02/B13/D06) against reference study labels:
        agreement, contradictions and examples, per question type, finding and grade."""
        import json
        import sys

        from cxrkg.app.cli import console, fail, open_store_or_fail
        from cxrkg.ingest.evaluate import EvaluationError
        from cxrkg.qa_gen.audit import audit_qa
        from cxrkg.qa_gen.audit_report import render_audit
        from cxrkg.qa_gen.model import QAFileError

        store = open_store_or_fail()
        try:
            audit = audit_qa(
                store,
                reference,
                qa_dir=src,
                seed=seed,
                examples=examples,
                limit=limit,
                study_column=study_column,
                progress=not as_json,
            )
        except EvaluationError as exc:
            fail(str(exc), 2)
        except QAFileError as exc:
            fail(f"{exc} (a release written by another version of cxrkg? generate it again)", 2)
        if as_json:
            sys.stdout.write(json.dumps(audit.to_json(), default=str) + "\n")
            return
        render_audit(audit, console, top=top)
