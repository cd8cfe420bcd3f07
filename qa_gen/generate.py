"""The library entry of QA generation: Cypher per question family over batches of studies,
answers assembled in Python, graded, exported in the QBA layout and optionally written back."""

from __future__ import annotations

import gc
import multiprocessing
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError
from tqdm import tqdm

from cxrkg.cypher.store import GraphStore, open_store
from cxrkg.ingest.graph_read import read_scene_graph
from cxrkg.ontology.values import GRADES, UNRATED
from cxrkg.qa_gen import families
from cxrkg.qa_gen.export import ReleaseOptions, ReleaseSummary, UnsafePath, safe_ids
from cxrkg.qa_gen.grading import grade_question
from cxrkg.qa_gen.graph_write import write_study_qa
from cxrkg.qa_gen.model import QADocument, Question, question_id
from cxrkg.qa_gen.sampling import SamplingWeights, Targets, read_weights, study_targets
from cxrkg.qa_gen.scopes import family_params
from cxrkg.qa_gen.study_data import StudyData, read_studies
from cxrkg.qa_gen.templates import Wording

if TYPE_CHECKING:
    from cxrkg.ingest.model import SceneGraph
    from cxrkg.qa_gen.run import RunOptions

BATCH_SIZE = 200


@dataclass
class StudyQA:
    study: StudyData
    questions: list[Question]
    targets: Targets | None = None  # what was asked about, sampled extras included

    def document(self) -> QADocument:
        """The study's qa.json."""
        return QADocument(
            patient_id=self.study.patient_id,
            study_id=self.study.study_id,
            questions=self.questions,
        )


Judge = Callable[[StudyQA, GraphStore], None]


class StudyWriter(Protocol):
    """Where generated studies go (a part of a release: `qa_gen.parts.PartWriter`)."""

    def add(self, sg: SceneGraph, doc: QADocument) -> None: ...


TYPE_GROUPS = {
    "A": "indication",
    "B": "abnormal",
    "C": "region",
    "D": "finding",
    "E": "longitudinal",
}


@dataclass
class QAReport:
    studies: int = 0
    questions: int = 0
    answers: int = 0
    missing: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # not written: ids unfit for file names
    by_type: Counter[str] = field(default_factory=Counter)
    by_grade: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    out_dir: Path | None = None
    written_to_graph: int = 0
    sampled: int = 0  # sampled extra regions/findings drawn
    sampled_answered: int = 0  # of them, those the graph could answer something about
    release: ReleaseSummary | None = None
    # A release written in parts (`qa_gen.run`): parts of this run, those kept from a
    # stopped run, and the questions made now (the rate counts those only).
    parts: int = 0
    parts_kept: int = 0
    fresh_questions: int | None = None
    next_step: str = ""  # what to run next (a shard's run: the merge)

    def add(self, other: QAReport) -> None:
        """Add the counts of another report (a part of the same release)."""
        for name in ("studies", "questions", "answers", "written_to_graph", "sampled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.sampled_answered += other.sampled_answered
        self.missing += other.missing
        self.refused += other.refused
        self.by_type.update(other.by_type)
        self.by_grade.update(other.by_grade)

    def by_group(self) -> Counter[str]:
        """Questions per family (A indication, B abnormal, C region, D finding, E longitudinal)."""
        groups: Counter[str] = Counter()
        for qtype, n in self.by_type.items():
            groups[qtype[:1]] += n
        return groups

    def summary(self) -> str:
        """One screen: what was made, how fast, per family and grade, what was left out."""
        made = self.questions if self.fresh_questions is None else self.fresh_questions
        rate = made / self.seconds if self.seconds else 0.0
        lines = [
            f"QA generation: {self.studies:,} studies, {self.questions:,} questions,"
            f" {self.answers:,} answers in {self.seconds:.1f}s ({rate:,.0f} QA pairs/s)"
        ]
        if self.parts:
            kept = f" ({self.parts_kept:,} kept from the stopped run)" if self.parts_kept else ""
            lines.append(f"  parts: {self.parts:,}{kept}")
        if self.release:
            lines += ["  " + line for line in self.release.lines()]
        if self.written_to_graph:
            lines.append(f"  {self.written_to_graph:,} questions stored in the graph")
        if self.missing:
            lines.append(
                f"  skipped {len(self.missing):,} study ids not in the graph: "
                + ", ".join(self.missing[:10])
                + (" ..." if len(self.missing) > 10 else "")
            )
        if self.refused and not (self.release and self.release.refused):
            lines.append(f"  not written ({len(self.refused):,}):")
            lines += [f"    - {r}" for r in self.refused[:10]]
        if self.sampled:
            lines.append(
                f"  sampled extras: {self.sampled:,} regions/findings drawn,"
                f" {self.sampled_answered:,} answerable (the rest have nothing in the graph"
                " to answer from)"
            )
        groups = self.by_group()
        lines.append(
            "  per family: "
            + ", ".join(
                f"{g} {TYPE_GROUPS.get(g, '')} {n:,}".replace("  ", " ")
                for g, n in sorted(groups.items())
            )
            + f" ({len(self.by_type)} question types)"
        )
        order = {g: i for i, g in enumerate(GRADES)}
        lines.append(
            "  per grade: "
            + ", ".join(
                f"{k} {v:,}"
                for k, v in sorted(self.by_grade.items(), key=lambda kv: order.get(kv[0], 99))
            )
        )
        if self.next_step:
            lines.append(f"  next: {self.next_step}")
        return "\n".join(lines)


class ContractError(RuntimeError):
    """A question family built a record outside the QA contract (a bug, not bad input)."""


def _finalize(sd: StudyData, drafts: list[dict[str, Any]]) -> list[Question]:
    """The families' records as validated questions: ids, obs_ids, report/template flags and
    grades. Every answer becomes a record of its own, even where a family put the same
    answer under several questions."""
    per_type: Counter[str] = Counter()
    next_answer = 0

    def numbered(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        nonlocal next_answer
        out = []
        for ans in answers:
            n, next_answer = next_answer, next_answer + 1
            out.append({**ans, "answer_id": n, "sub_answers": numbered(ans["sub_answers"])})
        return out

    questions = []
    for draft in drafts:
        qtype = draft["question_type"]
        record = {
            **draft,
            "question_id": question_id(qtype, per_type[qtype]),
            "answers": numbered(draft["answers"]),
        }
        per_type[qtype] += 1
        try:
            q = Question.model_validate(record)
        except ValidationError as exc:
            raise ContractError(f"study {sd.study_id}, {qtype}: {exc}") from exc
        answers = q.all_answers()
        unknown = q.unknown_fields(answers)
        if unknown:
            raise ContractError(
                f"study {sd.study_id}, {qtype}: fields outside the QA contract: {', '.join(unknown)}"
            )
        q.obs_ids = list(
            dict.fromkeys(
                a.source_obs_id
                for a in answers
                if a.source_obs_id and a.source_study_id == sd.study_id
            )
        )
        q.contains_report_answers = any(a.from_report for a in answers)
        q.contains_template_answers = any(not a.from_report for a in answers)
        grade_question(q, sd.quality, answers)
        questions.append(q)
    return questions


def study_questions(
    sd: StudyData,
    rows: dict[str, list[dict[str, Any]]],
    seed: int,
    previous: StudyData | None = None,
) -> list[Question]:
    """All questions of one study from its family rows (the order of the seed's table)."""
    rng = Wording(seed, sd.study_id)
    # Rows come in whatever order the database returns them; questions follow a fixed order.
    rows = {
        "a": rows.get("a", []),
        "b": sorted(rows.get("b", []), key=lambda r: (r["kind"], r["value"])),
        "c": sorted(rows.get("c", []), key=lambda r: r["region"]),
        "d": sorted(rows.get("d", []), key=lambda r: r["finding"]),
        "e": sorted(rows.get("e", []), key=lambda r: (r["kind"], r["name"])),
    }
    out: list[dict[str, Any]] = []
    for row in rows.get("a", []):
        out += families.indication_questions(sd, row, rng)
    out += families.abnormal_questions(sd, rows.get("b", []), rng)
    out += families.region_questions(sd, rows.get("c", []), rng)
    out += families.finding_questions(sd, rows.get("d", []), rng)
    out += families.longitudinal_questions(sd, rows.get("e", []), previous, rng)
    return _finalize(sd, out)


def generate_batch(
    store: GraphStore,
    study_ids: Sequence[str],
    seed: int = 0,
    weights: SamplingWeights | None = None,
    extra_regions: Sequence[str] = (),
    extra_findings: Sequence[str] = (),
    infer_absent: bool = True,
) -> list[StudyQA]:
    """Questions for one batch of studies: one run of each family's query for the batch.
    `extra_regions` / `extra_findings` are asked about in every study (where answerable).
    `infer_absent` (on by default): also answer "no" for a never-mentioned finding when every
    mention of a broader finding (through the ontology) is certainly negative: "there is no
    consolidation" answers "Is there any pneumonia?". This is how the sampled extras give
    negative questions; off, only the finding's own negative observations answer "no"."""
    with gc_paused():
        fetched = _fetch_batch(
            store, list(study_ids), seed, weights, extra_regions, extra_findings, infer_absent
        )
        return _assemble(fetched, seed)


@contextmanager
def gc_paused(freeze: bool = False) -> Iterator[None]:
    """Python's cyclic garbage collector off for the block. Answer assembly makes millions of
    small objects that live until the batch is written, and none of them form cycles; with
    the collector on, it rescanned them (and all else alive) so often that it took about two
    thirds of QA time (200 IU studies: 25.1 s, paused 8.5 s). Memory is still freed by
    reference counting; the collector resumes after the block. `freeze`: the objects alive
    at the end of the block are moved out of the collector's sight (`gc.freeze`) rather than
    scanned when it resumes; whoever asks for it calls `gc.unfreeze()` when the run ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


@dataclass
class _Fetched:
    """What one batch's queries read: the studies, their family rows and targets."""

    studies: dict[str, StudyData]
    present: list[str]
    rows: dict[str, dict[str, list[dict[str, Any]]]]
    targets: dict[str, Any]
    previous: dict[str, StudyData]


def _fetch_batch(
    store: GraphStore,
    ids: list[str],
    seed: int,
    weights: SamplingWeights | None,
    extra_regions: Sequence[str] = (),
    extra_findings: Sequence[str] = (),
    infer_absent: bool = True,
) -> _Fetched:
    """Every query of one batch (read-only): the facts its questions are made from."""
    weights = weights if weights is not None else read_weights(store)
    studies = read_studies(store, ids)
    present = [sid for sid in ids if sid in studies]
    if not present:
        return _Fetched(studies, [], {}, {}, {})
    params = {"study_ids": present, "infer_absent": infer_absent, **family_params()}
    targets = {
        row["study_id"]: study_targets(row, weights, seed)
        for row in store.run_named("qa/mentions", {"study_ids": present}, read_only=True)
    }
    for t in targets.values():
        t.regions += [r for r in extra_regions if r not in t.regions]
        t.findings += [f for f in extra_findings if f not in t.findings]
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {sid: {} for sid in present}

    def collect(family: str, query: str, extra: dict[str, Any] | None = None) -> None:
        q = load_params(query, {**params, **(extra or {})})
        for row in store.run_named(query, q, read_only=True):
            rows[row["study_id"]].setdefault(family, []).append(row)

    collect("a", "qa/a_indication")
    collect("b", "qa/b_abnormal")
    for sid, c_rows in read_region_rows(
        store, present, {s: t.regions for s, t in targets.items()}, params
    ).items():
        rows[sid]["c"] = c_rows
    d_params = {
        **params,
        "targets": {s: t.findings for s, t in targets.items()},
        "ontology": finding_ontology(store, [t.findings for t in targets.values()]),
    }
    for row in store.run_named(
        "qa/d_finding", load_params("qa/d_finding", d_params), read_only=True
    ):
        rows[row["study_id"]]["d"] = row["findings"]
    collect("e", "qa/e_longitudinal")
    prev_ids = sorted(
        {
            studies[s].previous_study_id
            for s in present
            if rows[s].get("e") and studies[s].previous_study_id
        }
    )
    previous = read_studies(store, prev_ids) if prev_ids else {}
    return _Fetched(studies, present, rows, targets, previous)


def read_region_rows(
    store: GraphStore,
    study_ids: list[str],
    targets: dict[str, list[str]],
    params: dict[str, Any] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The C family's rows of each study (one per asked-about region in `targets`), from
    `qa/c_region`. `params`: the family parameters, when the caller has them already."""
    q = load_params(
        "qa/c_region",
        {
            **(params or family_params()),
            "study_ids": study_ids,
            "targets": targets,
            "ontology": region_ontology(store, targets.values()),
        },
    )
    return {
        row["study_id"]: region_rows(row)
        for row in store.run_named("qa/c_region", q, read_only=True)
    }


def region_ontology(store: GraphStore, regions: Iterable[Sequence[str]]) -> dict[str, Any]:
    """`qa/c_region`'s `$ontology`: for each asked-about region the ontology knows, the
    regions above and below it (one read for the batch, not one per study)."""
    asked = sorted({r for names in regions for r in names})
    return {
        row["name"]: {"above": row["above"], "below": row["below"]}
        for row in store.run_named("qa/region_ontology", {"regions": asked}, read_only=True)
    }


def finding_ontology(store: GraphStore, findings: Iterable[Sequence[str]]) -> dict[str, Any]:
    """`qa/d_finding`'s `$ontology`: for each asked-about finding the ontology knows, whether
    it is a device and the findings above it (one read for the batch, not one per study)."""
    asked = sorted({f for names in findings for f in names})
    return {
        row["name"]: {"is_device": row["is_device"], "ancestors": row["ancestors"]}
        for row in store.run_named("qa/finding_ontology", {"findings": asked}, read_only=True)
    }


def region_rows(study: dict[str, Any]) -> list[dict[str, Any]]:
    """The C family's rows, one per asked-about region, from `qa/c_region`'s row for the
    study: the query says once per observation how it counts and, per region, which
    observations lie in it, above it and on its other side; the row's id lists are those
    sets crossed (in the study's observation order)."""
    pos, definite = set(study["pos_ids"]), set(study["definite_ids"])
    uncertain, finding = set(study["uncertain_ids"]), set(study["finding_ids"])
    devices, statements = set(study["study_device_ids"]), set(study["statement_ids"])
    out = []
    for region, in_study, above_normal, sub, above, side, reach in study["regions"]:
        abn = [o for o in sub if o in finding]
        dev = [o for o in sub if o in devices]
        out.append(
            {
                "region": region,
                "in_study": in_study,
                "sub_ids": sub,
                "pos_ids": [o for o in sub if o in pos],
                "definite_pos_ids": [o for o in sub if o in pos and o in definite],
                "uncertain_ids": [o for o in sub if o in uncertain],
                "abn_ids": abn,
                "abn_pos_ids": [o for o in abn if o in pos],
                "abn_definite_pos_ids": [o for o in abn if o in pos and o in definite],
                "abn_uncertain_ids": [o for o in abn if o in uncertain],
                "device_ids": dev,
                "definite_device_ids": [o for o in dev if o in pos and o in definite],
                "parent_region_ids": above if sub else [],
                # a broader region's normal statement ("the lungs are clear") holds here too
                "normal_above_ids": [o for o in above if o in statements] if above_normal else [],
                # findings in a broader region that may lie in this one: no "not abnormal"
                "open_above_ids": [
                    o for o in above if o in finding and (o in pos or o in uncertain)
                ],
                "other_side_ids": side,
                "study_device_ids": study["study_device_ids"],
                "reachable_device_ids": reach,
            }
        )
    return out


def _assemble(fetched: _Fetched, seed: int) -> list[StudyQA]:
    """The batch's questions from what its queries read (Python only, no store)."""
    out = []
    for sid in fetched.present:
        sd = fetched.studies[sid]
        prev = fetched.previous.get(sd.previous_study_id or "")
        questions = study_questions(sd, fetched.rows[sid], seed, prev)
        out.append(StudyQA(sd, questions, fetched.targets.get(sid)))
    return out


def load_params(query: str, params: dict[str, Any]) -> dict[str, Any]:
    """Only the parameters the named query uses (Neo4j warns about unused ones)."""
    from cxrkg.cypher.queries import load_query

    wanted = set(load_query(query).params)
    return {k: v for k, v in params.items() if k in wanted}


def all_study_ids(store: GraphStore) -> list[str]:
    rows = store.run_named("graph/study_ids", read_only=True)
    return [r["study_id"] for r in rows]


def _batches(ids: list[str], size: int, first: int | None = None) -> Iterator[list[str]]:
    """`ids` in batches of `size`, the first of `first` (when given)."""
    start = 0
    if first is not None and ids:
        yield ids[:first]
        start = first
    for i in range(start, len(ids), size):
        yield ids[i : i + size]


def iter_qa(
    store: GraphStore,
    study_ids: Sequence[str],
    seed: int = 0,
    workers: int = 1,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    infer_absent: bool = True,
) -> Iterator[StudyQA]:
    """StudyQA for every study, in the order given, batch by batch. With `workers` > 1 the
    batches run in that many processes, each with its own connection to the store (answer
    assembly is Python and holds the GIL: threads would not overlap it); the output is the
    same whatever the number of workers."""
    ids = list(study_ids)
    weights = read_weights(store)
    # A small first batch: nothing is assembled until it is read, and later batches are
    # read while earlier ones are assembled.
    batches = list(_batches(ids, batch_size, first=max(1, batch_size // 4)))
    bar = tqdm(total=len(ids), unit="study", desc="qa", disable=not progress, leave=False)
    # A batch's questions, once made, are not rescanned by the collector while the run goes
    # on (they hold no cycles): with the collector resuming after each batch, it went over
    # each batch three to five times as it aged through the generations, a third of the
    # run's time when the caller keeps what it is given (1,000 replicated demo studies:
    # 5 of 15 s). Unless someone else froze objects, then this run does not.
    freeze = gc.get_freeze_count() == 0
    try:
        if workers <= 1 or len(batches) <= 1:
            with _batch_reader(store, seed, weights, infer_absent, len(batches)) as (
                fetch,
                depth,
            ):
                ahead = deque(fetch(b) for b in batches[:depth])
                for i, batch in enumerate(batches):
                    with gc_paused(freeze=freeze):
                        fetched = ahead.popleft().result()
                        if i + depth < len(batches):
                            ahead.append(fetch(batches[i + depth]))
                        done = _assemble(fetched, seed)
                    bar.update(len(batch))
                    yield from done
            return
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_worker_start,
            initargs=(store.settings, seed, weights, infer_absent),
        ) as pool:
            # at most two batches ahead per worker: memory stays bounded on 100k studies
            pending: deque[tuple[list[str], Future[list[StudyQA]]]] = deque()
            todo = iter(batches)
            for batch in todo:
                pending.append((batch, pool.submit(_worker_batch, batch)))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                batch, future = pending.popleft()
                done = future.result()
                nxt = next(todo, None)
                if nxt is not None:
                    pending.append((nxt, pool.submit(_worker_batch, nxt)))
                bar.update(len(batch))
                yield from done
    finally:
        bar.close()
        if freeze:
            gc.unfreeze()


# From this many batches on, batches are read ahead by reader processes.
READER_PROCESS_BATCHES = 4
READER_PROCESSES = 2


@contextmanager
def _batch_reader(
    store: GraphStore, seed: int, weights: SamplingWeights, infer_absent: bool, batches: int
) -> Iterator[tuple[Callable[[list[str]], Future[_Fetched]], int]]:
    """Reads batches ahead of their assembly: yields `fetch(batch)`, which starts reading
    one and returns its future, and how many batches to keep in flight. On runs of
    `READER_PROCESS_BATCHES` batches or more the reading happens in `READER_PROCESSES`
    reader processes, each with its own connection: decoding the replies and building the
    studies' data is Python, and in a thread it held the GIL the assembly needs (200
    replicated demo studies: reading 1.5 s, its result pickled across in 0.1 s and unpickled
    in 0.05 s). Two readers, as one of them waits on the server while the other decodes.
    Shorter runs read in a thread, as starting processes costs more than they take."""
    if batches < READER_PROCESS_BATCHES:
        with ThreadPoolExecutor(max_workers=1) as thread:

            def fetch_here(batch: list[str]) -> Future[_Fetched]:
                return thread.submit(
                    _fetch_batch, store, batch, seed, weights, infer_absent=infer_absent
                )

            yield fetch_here, 1
        return
    # Forked where the platform can (no re-import of the caller's __main__, which a script
    # without a main guard could not survive); each reader opens its own connection.
    methods = multiprocessing.get_all_start_methods()
    with ProcessPoolExecutor(
        max_workers=READER_PROCESSES,
        mp_context=multiprocessing.get_context("fork" if "fork" in methods else "spawn"),
        initializer=_worker_start,
        initargs=(store.settings, seed, weights, infer_absent),
    ) as readers:

        def fetch_there(batch: list[str]) -> Future[_Fetched]:
            return readers.submit(_worker_fetch, batch)

        yield fetch_there, READER_PROCESSES


_WORKER: dict[str, Any] = {}


def _worker_start(settings: Any, seed: int, weights: SamplingWeights, infer_absent: bool) -> None:
    """A worker process's own connection and the run's fixed inputs."""
    _WORKER.update(
        store=open_store(settings, autostart=False, schema=False),
        seed=seed,
        weights=weights,
        infer_absent=infer_absent,
    )


def _worker_fetch(batch: list[str]) -> _Fetched:
    w = _WORKER
    with gc_paused():
        return _fetch_batch(
            w["store"], batch, w["seed"], w["weights"], infer_absent=w["infer_absent"]
        )


def _worker_batch(batch: list[str]) -> list[StudyQA]:
    w = _WORKER
    return generate_batch(
        w["store"], batch, w["seed"], w["weights"], infer_absent=w["infer_absent"]
    )


def generate_qa(
    store: GraphStore,
    study_ids: Sequence[str] | None = None,
    out_dir: str | Path | None = None,
    seed: int = 0,
    workers: int = 1,
    write_graph: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    judge: Judge | bool | None = None,
    infer_absent: bool = True,
    release: ReleaseOptions | None = None,
    run: RunOptions | None = None,
) -> QAReport:
    """Generate and grade QA for the given studies (all when None); with `out_dir`, write the
    QBA release layout there (`release`: what it holds, see `qa_gen.export`), in parts that
    a stopped run resumes and that can run as shards or on Ray (`run`: see `qa_gen.run`);
    see `generate_batch` for `infer_absent`."""
    ids = all_study_ids(store) if study_ids is None else list(dict.fromkeys(study_ids))
    if out_dir is not None:
        from cxrkg.qa_gen.run import write_release

        return write_release(
            store,
            ids,
            Path(out_dir),
            seed=seed,
            workers=workers,
            write_graph=write_graph,
            batch_size=batch_size,
            progress=progress,
            judge=judge,
            infer_absent=infer_absent,
            release=release or ReleaseOptions(seed=seed, progress=progress),
            run=run,
        )
    started = time.perf_counter()
    report = QAReport()
    collect_qa(
        store,
        ids,
        report,
        seed=seed,
        workers=workers,
        write_graph=write_graph,
        batch_size=batch_size,
        progress=progress,
        judge=judge_of(judge, store),
        infer_absent=infer_absent,
    )
    report.seconds = time.perf_counter() - started
    return report


def judge_of(judge: Judge | bool | None, store: GraphStore) -> Judge | None:
    """`True`: the LLM judge of the settings (made where it runs: a worker makes its own)."""
    if judge is True:
        from cxrkg.qa_gen.judge import QAJudge

        return QAJudge.from_settings(store.settings)
    return judge or None


def collect_qa(
    store: GraphStore,
    ids: list[str],
    report: QAReport,
    *,
    seed: int = 0,
    workers: int = 1,
    write_graph: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    judge: Judge | None = None,
    infer_absent: bool = True,
    writer: StudyWriter | None = None,
    tick: Callable[[int], None] | None = None,
) -> None:
    """QA for `ids` counted into `report`, each study given to `writer` (a release part),
    optionally judged and stored in the graph; `tick(n)` after every n studies done."""
    found: set[str] = set()
    pending: list[QADocument] = []
    for item in iter_qa(
        store,
        ids,
        seed=seed,
        workers=workers,
        batch_size=batch_size,
        progress=progress,
        infer_absent=infer_absent,
    ):
        if judge is not None:
            judge(item, store)
        found.add(item.study.study_id)
        report.studies += 1
        if item.targets is not None:
            extras = set(item.targets.sampled_regions) | set(item.targets.sampled_findings)
            asked = {
                v
                for q in item.questions
                for k, v in q.variables.items()
                if k in ("region", "finding")
            }
            report.sampled += len(extras)
            report.sampled_answered += len(extras & asked)
        for q in item.questions:
            report.questions += 1
            report.answers += len(q.all_answers())
            report.by_type[q.question_type] += 1
            report.by_grade[q.rating or UNRATED] += 1
        doc = item.document()
        if writer is not None:
            try:  # ids become paths: a graph written by other means may hold any id
                safe_ids(item.study.patient_id, item.study.study_id)
            except UnsafePath as exc:
                report.refused.append(str(exc))
            else:
                with gc_paused():
                    writer.add(read_scene_graph(store, item.study.study_id), doc)
        if write_graph:
            pending.append(doc)
            if len(pending) >= batch_size:
                report.written_to_graph += write_study_qa(store, pending)
                pending = []
        if tick is not None:
            tick(1)
    if write_graph and pending:
        report.written_to_graph += write_study_qa(store, pending)
    if write_graph and found:
        store.bump_version()
    report.missing += [sid for sid in ids if sid not in found]
