"""The release's `stats/`: observation-level `all_obs.csv`, answer-level `all_ans.csv` and the
study-level aggregates `study_*_stats.csv` (how often each region, finding entity, category
and subcategory is reported positive or negative, over studies and over observations).

Rows are streamed to the CSV files as studies come; only the aggregate counters stay in
memory. List-valued cells join their values with "|".
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import IO, Any

from cxrkg.ingest.model import SceneGraph
from cxrkg.ontology.values import grade_of, rating_code
from cxrkg.qa_gen.model import QADocument

SEP = "|"
OBS_COLUMNS = (
    "patient_id",
    "study_id",
    "obs_id",
    "name",
    "top_level",
    "is_indication_answer",
    "child_level",
    "probability",
    "certainty",
    "positiveness",
    "laterality",
    "regions",
    "default_regions",
    "entities",
    "entities_parents",
    "categories",
    "subcategories",
    "modifiers",
    "changes",
    "from_report",
    "num_images_localized",
    "rating",
)
ANS_COLUMNS = (
    "patient_id",
    "study_id",
    "question_id",
    "answer_id",
    "question_type",
    "question_strategy",
    "answer_type",
    "answer_level",
    "from_report",
    "positiveness",
    "certainty",
    "laterality",
    "regions",
    "entities",
    "entities_parents",
    "categories",
    "subcategories",
    "num_images_localized",
    "rating",
    "question_rating",
)
AGGREGATES = ("region", "entity", "category", "subcategory")
AGGREGATE_COLUMNS = (
    "num_studies",
    "num_studies_pos",
    "num_studies_neg",
    "pct_studies_pos",
    "pct_studies_neg",
    "num_obs",
    "num_obs_pos",
    "num_obs_neg",
    "pct_obs_pos",
    "pct_obs_neg",
)


def _join(values: list[str]) -> str:
    return SEP.join(values)


def observation_rows(sg: SceneGraph) -> list[dict[str, Any]]:
    top = set(sg.top_level_obs_ids)
    oind = sg.indication.answer_for_indication if sg.indication else None
    return [
        {
            "patient_id": sg.patient_id,
            "study_id": sg.study_id,
            "obs_id": oid,
            "name": o.name,
            "top_level": oid in top,
            "is_indication_answer": o is oind,
            "child_level": o.child_level,
            "probability": o.probability,
            "certainty": o.certainty,
            "positiveness": o.positiveness,
            "laterality": o.laterality,
            "regions": _join([r.region for r in o.regions]),
            "default_regions": _join(o.default_regions),
            "entities": _join(o.obs_entities),
            "entities_parents": _join(o.obs_entities_parents),
            "categories": _join(o.obs_categories),
            "subcategories": _join(o.obs_subcategories),
            "modifiers": _join([f"{t}:{v}" for t, vs in o.modifiers.items() for v in vs]),
            "changes": _join(o.changes),
            "from_report": o.from_report,
            "num_images_localized": len(o.localization),
            "rating": rating_code(grade_of(o.obs_quality)) if o.obs_quality else None,
        }
        for oid, o in sg.all_observations().items()
    ]


def answer_rows(doc: QADocument) -> list[dict[str, Any]]:
    return [
        {
            "patient_id": doc.patient_id,
            "study_id": doc.study_id,
            "question_id": q.question_id,
            "answer_id": a.answer_id,
            "question_type": q.question_type,
            "question_strategy": q.question_strategy,
            "answer_type": a.answer_type,
            "answer_level": a.answer_level,
            "from_report": a.from_report,
            "positiveness": a.positiveness,
            "certainty": a.certainty,
            "laterality": a.laterality,
            "regions": _join(a.regions),
            "entities": _join(a.obs_entities),
            "entities_parents": _join(a.obs_entities_parents),
            "categories": _join(a.obs_categories),
            "subcategories": _join(a.obs_subcategories),
            "num_images_localized": len(a.localization),
            "rating": rating_code(a.rating),
            "question_rating": rating_code(q.rating),
        }
        for q in doc.questions
        for a in q.all_answers()
    ]


class _Counts:
    def __init__(self) -> None:
        self.studies: dict[str, set[str]] = {"all": set(), "pos": set(), "neg": set()}
        self.obs = {"all": 0, "pos": 0, "neg": 0}


class StatsWriter:
    """Streams `all_obs.csv` and `all_ans.csv`; `finish()` writes the study aggregates."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._files: list[IO[str]] = []
        self._obs = self._open("all_obs.csv", OBS_COLUMNS)
        self._ans = self._open("all_ans.csv", ANS_COLUMNS)
        self._counts: dict[str, dict[str, _Counts]] = {k: defaultdict(_Counts) for k in AGGREGATES}
        self.studies = 0

    def _open(self, name: str, columns: tuple[str, ...]) -> csv.DictWriter[str]:
        fh = (self.folder / name).open("w", newline="", encoding="utf-8")
        self._files.append(fh)
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        return writer

    def add(self, sg: SceneGraph, doc: QADocument) -> None:
        self.studies += 1
        rows = observation_rows(sg)
        self._obs.writerows(rows)
        self._ans.writerows(answer_rows(doc))
        for row in rows:
            if row["is_indication_answer"]:
                continue  # the aggregates describe the report's observations
            pos = row["positiveness"]
            for kind, column in zip(
                AGGREGATES, ("regions", "entities", "categories", "subcategories"), strict=True
            ):
                for value in filter(None, row[column].split(SEP)):
                    c = self._counts[kind][value]
                    c.studies["all"].add(sg.study_id)
                    c.obs["all"] += 1
                    if pos in ("pos", "neg"):
                        c.studies[pos].add(sg.study_id)
                        c.obs[pos] += 1

    def finish(self) -> list[str]:
        """Close the streams, write the aggregates; returns the file names written."""
        for fh in self._files:
            fh.close()
        names = ["all_ans.csv", "all_obs.csv"]
        for kind in AGGREGATES:
            name = f"study_{kind}_stats.csv"
            with (self.folder / name).open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow((kind, *AGGREGATE_COLUMNS))
                for value, c in sorted(self._counts[kind].items()):
                    writer.writerow((value, *self._figures(c)))
            names.append(name)
        return sorted(names)

    def _figures(self, c: _Counts) -> tuple[Any, ...]:
        def pct(part: int, whole: int) -> float:
            return round(100 * part / whole, 3) if whole else 0.0

        s, o = c.studies, c.obs
        return (
            len(s["all"]),
            len(s["pos"]),
            len(s["neg"]),
            pct(len(s["pos"]), self.studies),
            pct(len(s["neg"]), self.studies),
            o["all"],
            o["pos"],
            o["neg"],
            pct(o["pos"], o["all"]),
            pct(o["neg"], o["all"]),
        )
