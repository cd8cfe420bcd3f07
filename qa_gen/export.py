"""The MIMIC-Ext-CXR-QBA release layout, written from the graph's scene graphs and the
generated QA (see docs/qa.md, "The release layout"):

    OUT/qa.zip                      qa/p1x/p1xxxxxxx/sxxxxxxxx.qa.json
    OUT/scene_data.zip              scene_data/p1x/p1xxxxxxx/sxxxxxxxx.{scene_graph,metadata}.json
    OUT/metadata/                   seven tables (.csv.gz, .parquet) and dataset_info.json
    OUT/quality_mappings.csv        raw quality codes -> names and grade caps
    OUT/stats/                      all_obs.csv, all_ans.csv, study_*_stats.csv
    OUT/exports/{A,B}_frontal/      metadata/ (+ subsets), scene_graph.zip, qa.zip

`qa_gen.parts` writes a release in parts, one study at a time (its `SceneGraph` and
`QADocument`), and merges them; `export_subset` rebuilds an export from a written release.
"""

from __future__ import annotations

import csv
import json
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from cxrkg.ingest.model import IngestError, SceneGraph, check_identifier
from cxrkg.ingest.sources.qba import META_SUFFIX, SCENE_SUFFIX, study_path
from cxrkg.ontology.values import (
    EXTRACTION_CRITERIA,
    GRADE_CODES,
    GRADES,
    at_least,
    quality_mappings,
)
from cxrkg.qa_gen.model import QADocument, QAFileError, release_bytes
from cxrkg.qa_gen.tables import (
    QUESTION_TABLES,
    TABLES,
    TableRows,
    frame,
    frontal_images,
    patient_rows,
    study_images,
    study_rows,
    write_table,
)

if TYPE_CHECKING:
    from cxrkg.cypher.store import GraphStore

QA_ZIP, SCENE_ZIP, EXPORT_SCENE_ZIP = "qa.zip", "scene_data.zip", "scene_graph.zip"
QA_SUFFIX = ".qa.json"
LONGITUDINAL = "longitudinal"  # cxrkg's own strategy (E family); QBA has none
DEFAULT_SUBSET_SIZE = 1_000_000
# The filtered question subsets the seed names, per export grade: (folder, floor, sampled).
SUBSETS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "A": (
        ("Ap", "A+", False),
        ("App", "A++", False),
        ("q1M", "A", True),
        ("Ap_q1M", "A+", True),
        ("App_q1M", "A++", True),
    ),
    "B": (("q1M", "B", True),),
}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: equal input, byte-identical zips


class UnsafePath(ValueError):
    """An id that would put a file outside the release's folders."""


def safe_ids(patient_id: str, study_id: str) -> None:
    """Ids become zip member paths and file names: checked again here, because a graph may
    have been written by other means than cxrkg's ingest, which validates them."""
    for name, value in (("patient_id", patient_id), ("study_id", study_id)):
        try:
            check_identifier(str(value))
        except ValueError as exc:
            raise UnsafePath(f"study {study_id!r} is not written: its {name} {exc}") from exc


def qa_member(patient_id: str, study_id: str) -> str:
    """`qa/p1x/p1xxxxxxx/sxxxxxxxx.qa.json`, the member a reader opens in qa.zip."""
    safe_ids(patient_id, study_id)
    return "qa/" + study_path(patient_id, study_id, QA_SUFFIX)


def scene_members(patient_id: str, study_id: str) -> tuple[str, str]:
    safe_ids(patient_id, study_id)
    base = "scene_data/" + study_path(patient_id, study_id, "")
    return base + SCENE_SUFFIX, base + META_SUFFIX


@dataclass
class ReleaseOptions:
    """What a release (or a rebuilt export) holds beyond the QBA layout itself."""

    longitudinal: bool = True  # False: leave out the E family, for strict QBA compatibility
    subset_size: int = DEFAULT_SUBSET_SIZE  # questions in each q1M-style subset
    seed: int = 0  # draws of the q1M-style subsets
    exports: tuple[str, ...] = ("A", "B")  # grades of the frontal exports written
    progress: bool = False


class ZipOut:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.members = 0

    @staticmethod
    def _info(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, _ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def write(self, name: str, data: bytes) -> None:
        self.zip.writestr(self._info(name), data)
        self.members += 1

    def append(self, path: Path) -> None:
        """Every member of the zip at `path` (written by `write`), after those written so far,
        copied compressed as it is: the result is byte for byte the zip that writing all the
        members here would give, without compressing them again (a release's qa.zip is tens
        of GB). The local entries are copied as one block; the central directory that
        `close()` writes lists them at their new offsets."""
        with zipfile.ZipFile(path) as src:
            infos = src.infolist()
        if not infos:
            return
        with path.open("rb") as fh:
            last = infos[-1]
            fh.seek(last.header_offset + 26)
            name_len, extra_len = struct.unpack("<HH", fh.read(4))
            end = last.header_offset + 30 + name_len + extra_len + last.compress_size
            out = self.zip
            base = out.start_dir
            out.fp.seek(base)
            fh.seek(0)
            left = end
            while left:
                chunk = fh.read(min(left, 1 << 22))
                if not chunk:
                    raise OSError(f"{path}: ends inside its members (a damaged part?)")
                out.fp.write(chunk)
                left -= len(chunk)
        for src_info in infos:
            info = self._info(src_info.filename)
            info.CRC, info.file_size = src_info.CRC, src_info.file_size
            info.compress_size = src_info.compress_size
            info.header_offset = base + src_info.header_offset
            info.FileHeader(False)  # sets the version fields as writing the member does
            out.filelist.append(info)
            out.NameToInfo[info.filename] = info
        # zipfile's own bookkeeping, as after a write: where the central directory goes.
        out.start_dir = out.fp.tell()
        out._didModify = True
        self.members += len(infos)

    def close(self) -> None:
        self.zip.close()


@dataclass
class StudyFiles:
    """One study as the release writes it: its models and their release JSON, made once and
    shared by the root and every export."""

    sg: SceneGraph
    doc: QADocument
    qa: dict[str, Any]
    scene: dict[str, Any]
    meta: dict[str, Any]

    @classmethod
    def of(cls, sg: SceneGraph, doc: QADocument) -> StudyFiles:
        return cls(sg, doc, doc.to_release_json(), sg.to_qba_json(), sg.metadata_json())


def write_study(qa: ZipOut, scenes: ZipOut, files: StudyFiles) -> None:
    pid, sid = files.doc.patient_id, files.doc.study_id
    qa.write(qa_member(pid, sid), release_bytes(files.qa))
    scene_name, meta_name = scene_members(pid, sid)
    scenes.write(scene_name, release_bytes(files.scene))
    scenes.write(meta_name, release_bytes(files.meta))


def without_longitudinal(doc: QADocument) -> QADocument:
    return doc.model_copy(
        update={"questions": [q for q in doc.questions if q.question_strategy != LONGITUDINAL]}
    )


# -- exports ----------------------------------------------------------------------------------
def export_name(grade: str, frontal_only: bool = True) -> str:
    return f"{grade.replace('+', 'p')}_{'frontal' if frontal_only else 'all'}"


def _keep_localization(holder: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    return {
        **holder,
        "localization": {k: v for k, v in holder.get("localization", {}).items() if k in keep},
    }


def _answer_on(answer: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    out = _keep_localization(answer, keep)
    out["sub_answers"] = [_answer_on(a, keep) for a in answer["sub_answers"]]
    return out


def question_on(question: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    """A release-JSON question with boxes on the kept images only."""
    return {
        **question,
        "question_img_localization_quality": {
            k: v for k, v in question["question_img_localization_quality"].items() if k in keep
        },
        "answers": [_answer_on(a, keep) for a in question["answers"]],
    }


def scene_on(scene: dict[str, Any], meta: dict[str, Any], keep: set[str]) -> tuple[dict, dict]:
    """Release-JSON scene graph and metadata with boxes and images on the kept images only."""
    out = {
        **scene,
        "observations": {k: _keep_localization(o, keep) for k, o in scene["observations"].items()},
        "regions": {k: _keep_localization(r, keep) for k, r in scene["regions"].items()},
        "study_img_localization_quality": {
            k: v for k, v in scene["study_img_localization_quality"].items() if k in keep
        },
    }
    indication = scene.get("indication")
    if indication and indication.get("answer_for_indication"):
        out["indication"] = {
            **indication,
            "answer_for_indication": _keep_localization(indication["answer_for_indication"], keep),
        }
    for key in ("image_objects", "attribute_relations"):
        if key in scene:
            out[key] = [x for x in scene[key] if x.get("image_id") in keep]
    meta_out = dict(meta)
    if "images" in meta:
        meta_out["images"] = {k: v for k, v in meta["images"].items() if k in keep}
    return out, meta_out


@dataclass
class ExportCounts:
    name: str
    studies: int = 0
    questions: int = 0
    subsets: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        subsets = ", ".join(f"{k} {v:,}" for k, v in self.subsets.items())
        return f"{self.name}: {self.questions:,} questions of {self.studies:,} studies" + (
            f" (subsets: {subsets})" if subsets else ""
        )


@dataclass
class ExportPick:
    """What one study puts in one export: its files on the kept images, their table rows."""

    files: StudyFiles
    rows: dict[str, list[dict[str, Any]]]
    questions: int


def export_pick(files: StudyFiles, grade: str, frontal_only: bool = True) -> ExportPick | None:
    """The study in the export of `grade`: questions rated `grade` or better (unrated ones
    never), boxes on the kept images only; None when nothing of it is kept."""
    sg, doc = files.sg, files.doc
    images = study_images(sg)
    keep = frontal_images(sg) if frontal_only else set(images)
    if not keep:
        return None
    chosen = [
        i for i, q in enumerate(doc.questions) if q.rating is not None and at_least(q.rating, grade)
    ]
    if not chosen:
        return None
    kept = QADocument.model_construct(
        patient_id=doc.patient_id,
        study_id=doc.study_id,
        questions=[doc.questions[i] for i in chosen],
    )
    scene, meta = scene_on(files.scene, files.meta, keep)
    qa = {**files.qa, "questions": [question_on(files.qa["questions"][i], keep) for i in chosen]}
    # The tables read only the kept images' entries of each answer and question.
    rows = study_rows(sg, kept, [i for i in images if i in keep])
    return ExportPick(StudyFiles(sg, kept, qa, scene, meta), rows, len(chosen))


class ExportTables:
    """The metadata of one export (`exports/A_frontal/metadata/` with its subsets)."""

    def __init__(self, dest: Path, grade: str, options: ReleaseOptions, frontal_only: bool = True):
        if grade not in GRADES:
            raise ValueError(f"grade {grade!r}: use one of {', '.join(GRADES)}")
        self.dest, self.grade, self.options = dest, grade, options
        self.counts = ExportCounts(export_name(grade, frontal_only))
        self.rows = TableRows()

    def add(self, rows: dict[str, list[dict[str, Any]]], questions: int) -> None:
        self.rows.extend(rows)
        self.counts.studies += 1
        self.counts.questions += questions

    def finish(self, info: dict[str, Any]) -> ExportCounts:
        folder = self.dest / "metadata"
        tables = write_metadata(folder, self.rows, info)
        for name, floor, sampled in SUBSETS.get(self.grade, (("q1M", self.grade, True),)):
            self.counts.subsets[name] = write_subset(
                folder / name, tables, floor, self.options if sampled else None
            )
        return self.counts


class ExportWriter:
    """One graded export (`exports/A_frontal`): questions rated `grade` or better (unrated
    ones never), only frontal images (studies without one dropped), its own metadata."""

    def __init__(self, dest: Path, grade: str, options: ReleaseOptions, frontal_only: bool = True):
        self.tables = ExportTables(dest, grade, options, frontal_only)
        self.grade, self.frontal_only = grade, frontal_only
        self.qa = ZipOut(dest / QA_ZIP)
        self.scenes = ZipOut(dest / EXPORT_SCENE_ZIP)

    def add(self, files: StudyFiles) -> None:
        pick = export_pick(files, self.grade, self.frontal_only)
        if pick is not None:
            write_study(self.qa, self.scenes, pick.files)
            self.tables.add(pick.rows, pick.questions)

    def finish(self, info: dict[str, Any]) -> ExportCounts:
        self.qa.close()
        self.scenes.close()
        return self.tables.finish(info)


def write_metadata(folder: Path, rows: TableRows, info: dict[str, Any]) -> dict[str, pd.DataFrame]:
    tables = {name: rows.table(name) for name in TABLES if name != "patient_metadata"}
    tables["patient_metadata"] = frame("patient_metadata", patient_rows(tables["study_metadata"]))
    for name in TABLES:
        write_table(folder, name, tables[name])
    (folder / "dataset_info.json").write_text(
        json.dumps(info, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    return tables


def write_subset(
    folder: Path, tables: dict[str, pd.DataFrame], floor: str, sample: ReleaseOptions | None
) -> int:
    """The question-level tables for questions rated `floor` or better, all of them or a
    seeded random `subset_size` of them."""
    questions = tables["question_metadata"]
    chosen = questions.index[
        questions["question.quality.rating"].ge(GRADE_CODES[floor]).fillna(False)
    ]
    if sample is not None and len(chosen) > sample.subset_size:
        picks = np.random.default_rng(sample.seed).choice(len(chosen), sample.subset_size, False)
        chosen = chosen[np.sort(picks)]
    keys = pd.MultiIndex.from_tuples(list(chosen), names=["patient_id", "study_id", "question_id"])
    for name in QUESTION_TABLES:
        table = tables[name]
        mask = (
            table.index.droplevel(list(range(3, table.index.nlevels))).isin(keys)
            if (table.index.nlevels > 3)
            else table.index.isin(keys)
        )
        write_table(folder, name, table[mask])
    return len(keys)


# -- the whole release ----------------------------------------------------------------------
@dataclass
class ReleaseSummary:
    out: Path
    studies: int = 0
    questions: int = 0
    answers: int = 0
    left_out_longitudinal: int = 0
    refused: list[str] = field(default_factory=list)  # studies whose ids cannot be paths
    stats_files: list[str] = field(default_factory=list)
    exports: list[ExportCounts] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"release in {self.out}: {QA_ZIP} ({self.studies:,} studies, {self.questions:,}"
            f" questions, {self.answers:,} answers), {SCENE_ZIP}, metadata/ (7 tables),"
            f" quality_mappings.csv, stats/ ({len(self.stats_files)} files)"
        ]
        if self.left_out_longitudinal:
            lines.append(
                f"  left out {self.left_out_longitudinal:,} longitudinal (E) questions"
                " (strict QBA layout)"
            )
        lines += [f"  exports/{e.line()}" for e in self.exports]
        if self.refused:
            lines.append(f"  not written ({len(self.refused):,}):")
            lines += [f"    - {r}" for r in self.refused[:10]]
        return lines


# -- reading a written release ------------------------------------------------------------
def read_qa_zip(path: Path) -> Iterator[QADocument]:
    """Every study's qa.json in a qa.zip, in member order, validated by the contract."""
    with zipfile.ZipFile(path) as zf:
        for name in sorted(n for n in zf.namelist() if n.endswith(QA_SUFFIX)):
            yield QADocument.from_bytes(zf.read(name), f"{path}!{name}")


def load_qa(src: Path, patient_id: str, study_id: str) -> QADocument:
    """One study's qa.json from a release's qa.zip."""
    path = Path(src) / QA_ZIP
    member = qa_member(patient_id, study_id)
    with zipfile.ZipFile(path) as zf:
        try:
            raw = zf.read(member)
        except KeyError:
            raise QAFileError(f"{path}: no member {member}") from None
    return QADocument.from_bytes(raw, f"{path}!{member}")


def iter_release(src: Path) -> Iterator[tuple[SceneGraph, QADocument]]:
    """(scene graph, qa.json) of every study of a written release."""
    from cxrkg.ingest.model import Rejected
    from cxrkg.ingest.sources.qba import QBASource

    scenes = QBASource(src / SCENE_ZIP, image_metadata=None)
    for doc in read_qa_zip(src / QA_ZIP):
        sg = scenes.study(doc.study_id)
        if sg is None:
            raise QAFileError(f"{src / SCENE_ZIP}: no scene graph for study {doc.study_id}")
        if isinstance(sg, Rejected):
            raise QAFileError(sg.describe())
        yield sg, doc


def export_subset(
    src: str | Path,
    grade: str = "A",
    frontal_only: bool = True,
    out: str | Path | None = None,
    options: ReleaseOptions | None = None,
) -> ExportCounts:
    """Rebuild one export (`A_frontal`, `B_frontal`, ...) from a written release."""
    src = Path(src)
    options = options or ReleaseOptions()
    if grade not in GRADES:
        raise ValueError(f"grade {grade!r}: use one of {', '.join(GRADES)}")
    for name in (QA_ZIP, SCENE_ZIP):
        if not (src / name).is_file():
            raise QAFileError(f"{src} holds no {name}: run `cxrkg qa generate --out {src}` first")
    dest = Path(out) if out else src / "exports" / export_name(grade, frontal_only)
    for name in (QA_ZIP, SCENE_ZIP):
        if not zipfile.is_zipfile(src / name):
            raise QAFileError(f"{src / name}: not a readable zip file")
    with zipfile.ZipFile(src / QA_ZIP) as zf:
        total = sum(1 for n in zf.namelist() if n.endswith(QA_SUFFIX))
    writer = ExportWriter(dest, grade, options, frontal_only)
    try:
        for sg, doc in tqdm(
            iter_release(src),
            total=total,
            desc="export",
            unit="study",
            disable=not options.progress,
        ):
            writer.add(
                StudyFiles.of(sg, doc if options.longitudinal else without_longitudinal(doc))
            )
    except (zipfile.BadZipFile, IngestError) as exc:
        raise QAFileError(f"{src}: {exc}") from exc
    info_path = src / "metadata" / "dataset_info.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    return writer.finish(info)


# -- value sets and mappings ------------------------------------------------------------------
def dataset_info(store: GraphStore | None = None) -> dict[str, Any]:
    """Value sets: from the ontology when it loads, plus what the graph holds."""
    from cxrkg.ontology import values
    from cxrkg.qa_gen.families import QUESTION_TYPES, STRATEGY

    info: dict[str, Any] = {}
    try:
        from cxrkg.ontology import load_ontology  # type: ignore[attr-defined]

        info.update(load_ontology().value_sets())
    except Exception:  # noqa: BLE001 - no ontology: fall back to the value sets in the code
        info.update(
            {
                "probability": list(values.PROBABILITY),
                "certainty": list(values.CERTAINTY),
                "positiveness": list(values.POSITIVENESS),
                "modifiers": {k: list(v) for k, v in values.MODIFIERS.items()},
                "changes": list(values.CHANGES),
                "answer_types": list(values.ANSWER_TYPES),
                "grades": list(GRADES),
            }
        )
    if store is not None:
        rows = store.run_named("qa/dataset_values", {}, read_only=True)
        info["entities_in_graph"] = sorted(rows[0]["entities"]) if rows else []
        info["regions_in_graph"] = sorted(rows[0]["regions"]) if rows else []
    info["question_types"] = list(QUESTION_TYPES)
    info["question_strategies"] = sorted(set(STRATEGY.values()))
    info["quality_criteria"] = {
        values.release_key(c): [o.name for o in opts] for c, opts in EXTRACTION_CRITERIA.items()
    }
    return info


def write_quality_mappings(path: Path) -> None:
    rows = quality_mappings()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
