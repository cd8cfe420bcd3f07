"""The QA audit (`cxrkg eval qa`): the yes/no answers of generated QA against reference
study labels (IU MeSH terms, PadChest radiologist labels, any study x label CSV).

QBA validates its scene graphs against expert labels (seed section 3b); this applies the same
idea to the answers themselves. A reference decides a question only where it can: a study it
calls normal has no finding anywhere; a labelled finding is present, and where the reference
places it (or, failing that, the finding's default regions), its region is abnormal; a finding
unrelated to every label of an indexed study is absent. Everything else is left unscored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxrkg.ingest.evaluate import NORMAL, Reference
from cxrkg.ontology.values import GENERIC_FINDINGS
from cxrkg.qa_gen.model import QADocument, Question

# Yes/no question types the audit scores, and what each asks.
SCORED_TYPES: tuple[str, ...] = (
    "B03_is_abnormal",
    "B04_is_normal",
    "C03_is_abnormal_region",
    "C04_is_normal_region",
    "D02_has_finding",
    "B13_has_devices",
    "D06_has_device",
)
INVERTED = {"B04_is_normal", "C04_is_normal_region"}  # "is it normal?": yes = no abnormality
FINDING_TYPES = ("D01", "D02", "D03", "D04", "D05", "D06", "D07")


def verdict_of(question: Question) -> str | None:
    """'yes' / 'no' from the first main answer of a yes/no question."""
    for ans in question.answers:
        if ans.answer_type == "main_answer":
            text = ans.text.strip().lower()
            if text.startswith("yes"):
                return "yes"
            if text.startswith("no"):
                return "no"
            return None
    return None


class ReferenceJudge:
    """What a reference says about one question of one study (or None: it cannot say)."""

    def __init__(self, onto: Any, reference: Reference) -> None:
        self.onto = onto
        self.ref = reference
        self._up: dict[tuple[str, str], set[str]] = {}
        self.generic = set(GENERIC_FINDINGS)

    def _ancestors(self, name: str, kind: str) -> set[str]:
        key = (name, kind)
        if key not in self._up:
            try:
                self._up[key] = set(self.onto.ancestors(name))
            except KeyError:
                self._up[key] = set()
        return self._up[key]

    def _concept(self, name: str) -> Any:
        return self.onto.get(name, kind="finding")

    def is_device(self, name: str) -> bool:
        c = self._concept(name)
        return bool(c and c.is_device)

    def is_technique(self, name: str) -> bool:
        c = self._concept(name)
        return bool(c and "TECHNICAL_ASSESSMENT" in c.categories)

    def abnormal_labels(self, sid: str) -> set[str]:
        """Labels that are abnormalities: not normal, not devices, not technique."""
        return {
            x
            for x in self.ref.labels.get(sid, set())
            if x != NORMAL
            and x not in self.generic
            and not self.is_device(x)
            and not self.is_technique(x)
        }

    def is_normal(self, sid: str) -> bool:
        return self.ref.labels.get(sid) == {NORMAL}

    def has_devices(self, sid: str) -> bool:
        return any(self.is_device(x) for x in self.ref.labels.get(sid, set()))

    def _regions_of(self, sid: str, label: str) -> set[str]:
        where = self.ref.locations.get(sid, {}).get(label)
        if where:
            return set(where)
        c = self._concept(label)
        return set(c.default_regions) if c else set()

    def _related(self, a: str, b: str) -> bool:
        return a == b or a in self._ancestors(b, "finding") or b in self._ancestors(a, "finding")

    def judge(self, sid: str, qtype: str, variables: dict[str, Any]) -> str | None:
        if sid not in self.ref.labels:
            return None
        code = qtype.split("_", 1)[0]
        normal = self.is_normal(sid)
        if code in ("B03", "B04"):
            abnormal = bool(self.abnormal_labels(sid))
            if abnormal:
                return "yes"
            return "no" if normal else None
        if code in ("C03", "C04"):
            if normal:
                return "no"
            region = variables.get("region")
            if not region or self.onto.get(region, kind="region") is None:
                return None
            undecided = False
            for label in self.abnormal_labels(sid):
                for where in self._regions_of(sid, label):
                    if where == region or region in self._ancestors(where, "region"):
                        return "yes"
                    if not where or where in self._ancestors(region, "region"):
                        undecided = True  # labelled at a broader region: this part may be clear
            return None if undecided or not self.abnormal_labels(sid) else "no"
        if code == "B13":
            if self.has_devices(sid):
                return "yes"
            return "no" if self.ref.labels.get(sid) else None
        if code in ("D02", "D06"):
            finding = variables.get("finding")
            if not finding or finding in self.generic:
                return None
            labels = self.ref.labels.get(sid, set()) - {NORMAL}
            if any(finding == x or finding in self._ancestors(x, "finding") for x in labels):
                return "yes"
            if any(self._related(finding, x) for x in labels):
                return None  # a broader label: the reference does not say which one
            return "no" if (normal or labels) else None
        return None


@dataclass
class Tally:
    asked: int = 0
    scored: int = 0
    agree: int = 0

    @property
    def contradict(self) -> int:
        return self.scored - self.agree

    def row(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            "scored": self.scored,
            "agree": self.agree,
            "contradict": self.contradict,
            "agreement": round(self.agree / self.scored, 4) if self.scored else None,
            "contradiction_rate": round(self.contradict / self.scored, 4) if self.scored else None,
        }


@dataclass
class Example:
    study_id: str
    question_type: str
    question: str
    answer: str
    reference: str
    labels: list[str]
    obs_ids: list[str]
    sentences: list[str] = field(default_factory=list)


@dataclass
class QAAudit:
    """The audit's figures: per question type, per finding (D02/D06), per grade, targets."""

    reference: str
    studies: int = 0
    by_type: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_finding: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_grade: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    normal_studies: int = 0
    normal_b03_yes: int = 0
    normal_b03_asked: int = 0
    normal_b04_yes: int = 0
    normal_b04_asked: int = 0
    device_studies: int = 0
    device_b13_yes: int = 0
    device_b13_asked: int = 0
    generic_finding_questions: int = 0
    examples: dict[str, list[Example]] = field(default_factory=lambda: defaultdict(list))

    def targets(self) -> dict[str, Any]:
        """The issue's headline rates. "of asked": how often the answer given is wrong;
        "of all": over every reference study of the kind, so not asking does not help."""

        def rate(n: int, d: int) -> float | None:
            return round(n / d, 4) if d else None

        return {
            "reference_normal_studies": self.normal_studies,
            "B03_asked_on_normal": self.normal_b03_asked,
            "B03_yes_on_normal": self.normal_b03_yes,
            "B03_yes_on_normal_of_asked": rate(self.normal_b03_yes, self.normal_b03_asked),
            "B04_asked_on_normal": self.normal_b04_asked,
            "B04_yes_on_normal": self.normal_b04_yes,
            "B04_yes_on_normal_of_all": rate(self.normal_b04_yes, self.normal_studies),
            "reference_device_studies": self.device_studies,
            "B13_asked_on_device_studies": self.device_b13_asked,
            "B13_yes_on_device_studies": self.device_b13_yes,
            "B13_yes_on_device_studies_of_all": rate(self.device_b13_yes, self.device_studies),
            "D_questions_on_generic_findings": self.generic_finding_questions,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "studies": self.studies,
            "targets": self.targets(),
            "by_type": {k: v.row() for k, v in sorted(self.by_type.items())},
            "by_grade": {k: v.row() for k, v in sorted(self.by_grade.items())},
            "by_finding": {
                k: v.row() for k, v in sorted(self.by_finding.items(), key=lambda kv: -kv[1].scored)
            },
            "examples": {k: [e.__dict__ for e in v] for k, v in sorted(self.examples.items())},
        }


def audit_questions(
    items: Iterable[tuple[str, list[Question]]],
    judge: ReferenceJudge,
    *,
    examples: int = 3,
) -> QAAudit:
    """Score every yes/no question of `items` ((study id, questions) pairs) that the
    reference can decide."""
    audit = QAAudit(judge.ref.name)
    for sid, questions in items:
        if sid not in judge.ref.labels:
            continue
        audit.studies += 1
        normal, devices = judge.is_normal(sid), judge.has_devices(sid)
        audit.normal_studies += normal
        audit.device_studies += devices
        for q in questions:
            qtype = q.question_type
            code = qtype.split("_", 1)[0]
            variables = q.variables
            if code in FINDING_TYPES and variables.get("finding") in judge.generic:
                audit.generic_finding_questions += 1
            if qtype not in SCORED_TYPES or variables.get("device_subcategory"):
                continue  # a device subcategory is more than the references say
            said = verdict_of(q)
            if said is None:
                continue
            if code in ("B03", "B04") and normal:
                asked_yes = said == "yes"
                if code == "B03":
                    audit.normal_b03_asked += 1
                    audit.normal_b03_yes += asked_yes
                else:
                    audit.normal_b04_asked += 1
                    audit.normal_b04_yes += asked_yes
            if code == "B13" and devices:
                audit.device_b13_asked += 1
                audit.device_b13_yes += said == "yes"
            tally, graded = audit.by_type[qtype], audit.by_grade[q.rating or "unrated"]
            tally.asked += 1
            graded.asked += 1
            truth = judge.judge(sid, qtype, variables)
            if truth is None:
                continue
            if qtype in INVERTED:
                truth = "no" if truth == "yes" else "yes"
            ok = said == truth
            for t in (tally, graded):
                t.scored += 1
                t.agree += ok
            if code in ("D02", "D06"):
                ft = audit.by_finding[variables.get("finding", "")]
                ft.asked += 1
                ft.scored += 1
                ft.agree += ok
            if not ok and len(audit.examples[qtype]) < examples:
                audit.examples[qtype].append(
                    Example(
                        study_id=sid,
                        question_type=qtype,
                        question=q.question,
                        answer=_main_text(q),
                        reference=truth,
                        labels=sorted(judge.ref.labels.get(sid, set())),
                        obs_ids=list(q.obs_ids),
                    )
                )
    return audit


def _main_text(q: Question) -> str:
    return " ".join(a.text for a in q.answers if a.answer_type == "main_answer")


# -- where the QA comes from -------------------------------------------------------------------
def read_qa_folder(path: Path) -> Iterator[tuple[str, list[Question]]]:
    """(study id, questions) from a release: its `qa.zip` (or the zip itself), or a folder
    of `.qa.json` files such as an unzipped `qa/`."""
    from cxrkg.qa_gen.export import read_qa_zip

    path = Path(path)
    archive = path if path.suffix == ".zip" else path / "qa.zip"
    if archive.is_file():
        for doc in read_qa_zip(archive):
            yield doc.study_id, doc.questions
        return
    root = path / "qa" if (path / "qa").is_dir() else path
    if not root.is_dir():
        from cxrkg.ingest.evaluate import EvaluationError

        raise EvaluationError(f"{path}: no qa.zip and no qa/ folder of .qa.json files")
    for file in sorted(root.rglob("*.qa.json")):
        doc = QADocument.from_bytes(file.read_bytes(), str(file))
        yield doc.study_id, doc.questions


def generated_qa(
    store: Any, study_ids: list[str], *, seed: int = 0, progress: bool = False
) -> Iterator[tuple[str, list[Question]]]:
    """(study id, questions) generated in memory from the graph, as `qa generate` would."""
    from cxrkg.qa_gen.generate import all_study_ids, iter_qa

    present = set(all_study_ids(store))
    ids = [s for s in study_ids if s in present]
    for item in iter_qa(store, ids, seed=seed, progress=progress):
        yield item.study.study_id, item.questions


def attach_sentences(store: Any, audit: QAAudit) -> None:
    """Give each disagreement example the report sentences of the observations it cites."""
    wanted = sorted({e.study_id for ex in audit.examples.values() for e in ex})
    if not wanted:
        return
    rows = store.run_named("qa/observation_sentences", {"study_ids": wanted}, read_only=True)
    by_obs: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        by_obs.setdefault((r["study_id"], r["obs_id"]), []).extend(r["sentences"])
    for ex in audit.examples.values():
        for e in ex:
            e.sentences = list(
                dict.fromkeys(s for o in e.obs_ids for s in by_obs.get((e.study_id, o), []))
            )


def audit_qa(
    store: Any,
    reference: str | Path,
    *,
    qa_dir: str | Path | None = None,
    seed: int = 0,
    examples: int = 3,
    limit: int | None = None,
    study_column: str | None = None,
    progress: bool = False,
) -> QAAudit:
    """Audit QA against a reference: `qa_dir` (a `qa generate` output) or, without it, QA
    generated in memory from the graph for the reference's studies (`limit` of them)."""
    from cxrkg.ingest.evaluate import EvaluationError, load_reference
    from cxrkg.ingest.mapping import ConceptMapper
    from cxrkg.ontology import load_ontology

    onto = load_ontology()
    ref = load_reference(reference, ConceptMapper(onto), study_column=study_column)
    judge = ReferenceJudge(onto, ref)
    if qa_dir is not None:
        items: Iterable[tuple[str, list[Question]]] = read_qa_folder(Path(qa_dir))
    else:
        ids = sorted(ref.labels)
        if limit is not None:
            from cxrkg.qa_gen.sampling import study_rng

            rng = study_rng(seed, "audit", str(reference))
            ids = sorted(rng.sample(ids, min(limit, len(ids))))
        items = generated_qa(store, ids, seed=seed, progress=progress)
    audit = audit_questions(items, judge, examples=examples)
    if not audit.studies:
        raise EvaluationError(
            "none of the reference studies has QA: ingest them first (and check --from)"
        )
    attach_sentences(store, audit)
    return audit
