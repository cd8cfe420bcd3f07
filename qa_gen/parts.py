"""A release written in parts and merged: each part holds a contiguous run of the release's
studies (its zips, its stats rows, a journal of its table rows); the merge concatenates the
zips and the stats rows in part order and builds the metadata tables, the stats aggregates
and the exports' subsets over the whole release, so the merged files are byte for byte
those of one run over all the studies.

    OUT/parts/000000000-000001000/   qa.zip, scene_data.zip, exports/*/{qa,scene_graph}.zip,
                                     stats/all_{obs,ans}.csv (rows only), tables.jsonl.gz,
                                     part.json (written last: the part is complete)
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cxrkg.ingest.model import SceneGraph
from cxrkg.qa_gen.export import (
    EXPORT_SCENE_ZIP,
    QA_ZIP,
    SCENE_ZIP,
    ExportTables,
    ReleaseOptions,
    ReleaseSummary,
    StudyFiles,
    UnsafePath,
    ZipOut,
    export_name,
    export_pick,
    safe_ids,
    without_longitudinal,
    write_metadata,
    write_quality_mappings,
    write_study,
)
from cxrkg.qa_gen.model import QADocument
from cxrkg.qa_gen.stats import StatsWriter
from cxrkg.qa_gen.tables import COLUMNS, INDEX, TableRows, study_rows

JOURNAL = "tables.jsonl.gz"
DONE = "part.json"


def _columns(table: str) -> list[str]:
    return [*INDEX[table], *COLUMNS[table]]


def _pack(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[list[Any]]]:
    """Table rows as value lists in the table's column order (the journal's form)."""
    return {name: [[r[c] for c in _columns(name)] for r in items] for name, items in rows.items()}


def _unpack(packed: dict[str, list[list[Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [dict(zip(_columns(name), values, strict=True)) for values in items]
        for name, items in packed.items()
    }


class PartWriter:
    """Writes one part of a release, one study at a time (as the release would hold it)."""

    def __init__(self, folder: Path, options: ReleaseOptions):
        self.folder, self.options = folder, options
        folder.mkdir(parents=True, exist_ok=True)
        self.qa = ZipOut(folder / QA_ZIP)
        self.scenes = ZipOut(folder / SCENE_ZIP)
        self.exports = {
            export_name(g): (
                g,
                ZipOut(folder / "exports" / export_name(g) / QA_ZIP),
                ZipOut(folder / "exports" / export_name(g) / EXPORT_SCENE_ZIP),
            )
            for g in options.exports
        }
        self.stats = StatsWriter(folder / "stats", header=False)
        # closed by finish()
        self.journal = gzip.open(folder / JOURNAL, "wt", encoding="utf-8", compresslevel=1)  # noqa: SIM115
        self.summary: dict[str, Any] = {
            "studies": 0,
            "questions": 0,
            "answers": 0,
            "left_out_longitudinal": 0,
            "refused": [],
            "exports": {name: [0, 0] for name in self.exports},  # studies, questions
        }

    def add(self, sg: SceneGraph, doc: QADocument) -> None:
        s = self.summary
        if not self.options.longitudinal:
            kept = without_longitudinal(doc)
            s["left_out_longitudinal"] += len(doc.questions) - len(kept.questions)
            doc = kept
        try:
            safe_ids(doc.patient_id, doc.study_id)
        except UnsafePath as exc:
            s["refused"].append(str(exc))
            return
        files = StudyFiles.of(sg, doc)
        write_study(self.qa, self.scenes, files)
        self.stats.add(sg, doc)
        entry: dict[str, Any] = {"study_id": doc.study_id, "tables": _pack(study_rows(sg, doc))}
        picks = {}
        for name, (grade, qa, scenes) in self.exports.items():
            pick = export_pick(files, grade)
            if pick is not None:
                write_study(qa, scenes, pick.files)
                picks[name] = [_pack(pick.rows), pick.questions]
                s["exports"][name][0] += 1
                s["exports"][name][1] += pick.questions
        entry["exports"] = picks
        self.journal.write(json.dumps(entry, ensure_ascii=False) + "\n")
        s["studies"] += 1
        s["questions"] += len(doc.questions)
        s["answers"] += sum(len(q.all_answers()) for q in doc.questions)

    def finish(self) -> dict[str, Any]:
        """Close every file; the part's release figures and its stats counts."""
        for _, qa, scenes in self.exports.values():
            qa.close()
            scenes.close()
        self.qa.close()
        self.scenes.close()
        self.stats.close()
        self.journal.close()
        return {**self.summary, "stats": self.stats.counts()}


def mark_done(folder: Path, record: dict[str, Any]) -> None:
    """Write the part's `part.json` last, atomically: a part without it is redone."""
    tmp = folder / (DONE + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(record, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(folder / DONE)


def read_done(folder: Path) -> dict[str, Any] | None:
    """The part's record, or None when the part is not complete."""
    try:
        return json.loads((folder / DONE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def merge_parts(
    folders: Sequence[Path],
    records: Sequence[dict[str, Any]],
    out: Path,
    options: ReleaseOptions,
    info: dict[str, Any],
) -> ReleaseSummary:
    """The release in `out` from its complete parts, given in study order with their
    records (`PartWriter.finish()`): zips and stats rows concatenated, the metadata tables,
    stats aggregates and exports (with their random subsets) made over the whole release."""
    out.mkdir(parents=True, exist_ok=True)
    summary = ReleaseSummary(out)
    qa, scenes = ZipOut(out / QA_ZIP), ZipOut(out / SCENE_ZIP)
    stats = StatsWriter(out / "stats")
    rows = TableRows()
    exports = {
        export_name(g): (
            ExportTables(out / "exports" / export_name(g), g, options),
            ZipOut(out / "exports" / export_name(g) / QA_ZIP),
            ZipOut(out / "exports" / export_name(g) / EXPORT_SCENE_ZIP),
        )
        for g in options.exports
    }
    bar = tqdm(
        total=len(folders), desc="merge", unit="part", disable=not options.progress, leave=False
    )
    for folder, record in zip(folders, records, strict=True):
        qa.append(folder / QA_ZIP)
        scenes.append(folder / SCENE_ZIP)
        stats.append_part(folder / "stats")
        stats.add_counts(record["stats"])
        for name, (_, eqa, escenes) in exports.items():
            eqa.append(folder / "exports" / name / QA_ZIP)
            escenes.append(folder / "exports" / name / EXPORT_SCENE_ZIP)
        with gzip.open(folder / JOURNAL, "rt", encoding="utf-8") as fh:
            for line in fh:
                entry = json.loads(line)
                rows.extend(_unpack(entry["tables"]))
                for name, (packed, questions) in entry["exports"].items():
                    exports[name][0].add(_unpack(packed), questions)
        summary.studies += record["studies"]
        summary.questions += record["questions"]
        summary.answers += record["answers"]
        summary.left_out_longitudinal += record["left_out_longitudinal"]
        summary.refused += record["refused"]
        bar.update(1)
    bar.close()
    for zf in (qa, scenes, *[z for _, a, b in exports.values() for z in (a, b)]):
        zf.close()
    steps = ["metadata", "stats", *exports]
    bar = tqdm(steps, desc="release", unit="part", disable=not options.progress, leave=False)
    for step in bar:
        bar.set_postfix_str(step)
        if step == "metadata":
            write_metadata(out / "metadata", rows, info)
            write_quality_mappings(out / "quality_mappings.csv")
        elif step == "stats":
            summary.stats_files = stats.finish()
        else:
            summary.exports.append(exports[step][0].finish(info))
    bar.close()
    return summary
