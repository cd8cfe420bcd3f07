"""The release's `stats/`: observation-level `all_obs.csv`, answer-level `all_ans.csv` and the
study-level aggregates `study_*_stats.csv` (how often each region, finding entity, category
and subcategory is reported positive or negative, over studies and over observations).

Rows are streamed to the CSV files as studies come; only the aggregate counters stay in
memory. List-valued cells join their values with "|".
"""

from __future__ import annotations

import csv
import shutil
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
    """Studies and observations reporting one value: plain counts, so the counts of a
    release's parts add up to the whole release's (a study is in one part only)."""

    FIELDS = ("studies", "studies_pos", "studies_neg", "obs", "obs_pos", "obs_neg")

    def __init__(self, values: list[int] | None = None) -> None:
        self.values = list(values) if values else [0] * len(self.FIELDS)

    def add(self, other: list[int]) -> None:
        self.values = [a + b for a, b in zip(self.values, other, strict=True)]


class StatsWriter:
    """Streams `all_obs.csv` and `all_ans.csv`; `finish()` writes the study aggregates.
    `header=False` writes the rows only: a part of a release, whose rows `append_part`
    adds to the whole release's files, and whose `counts()` `add_counts` adds to its own."""

    def __init__(self, folder: Path, header: bool = True):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._files: list[IO[str]] = []
        self._obs = self._open("all_obs.csv", OBS_COLUMNS, header)
        self._ans = self._open("all_ans.csv", ANS_COLUMNS, header)
        self._counts: dict[str, dict[str, _Counts]] = {k: defaultdict(_Counts) for k in AGGREGATES}
        self.studies = 0

    def _open(self, name: str, columns: tuple[str, ...], header: bool) -> csv.DictWriter[str]:
        fh = (self.folder / name).open("w", newline="", encoding="utf-8")
        self._files.append(fh)
        writer = csv.DictWriter(fh, fieldnames=columns)
        if header:
            writer.writeheader()
        return writer

    def add(self, sg: SceneGraph, doc: QADocument) -> None:
        self.studies += 1
        rows = observation_rows(sg)
        self._obs.writerows(rows)
        self._ans.writerows(answer_rows(doc))
        seen: set[tuple[str, str, int]] = set()  # (kind, value, study counter) once per study
        for row in rows:
            if row["is_indication_answer"]:
                continue  # the aggregates describe the report's observations
            pos = row["positiveness"]
            for kind, column in zip(
                AGGREGATES, ("regions", "entities", "categories", "subcategories"), strict=True
            ):
                for value in filter(None, row[column].split(SEP)):
                    c = self._counts[kind][value].values
                    c[3] += 1
                    seen.add((kind, value, 0))
                    if pos in ("pos", "neg"):
                        c[4 if pos == "pos" else 5] += 1
                        seen.add((kind, value, 1 if pos == "pos" else 2))
        for kind, value, i in seen:
            self._counts[kind][value].values[i] += 1

    def counts(self) -> dict[str, Any]:
        """The aggregates' counts so far, as JSON."""
        return {
            "studies": self.studies,
            "counts": {k: {v: c.values for v, c in vs.items()} for k, vs in self._counts.items()},
        }

    def add_counts(self, counts: dict[str, Any]) -> None:
        """Add the `counts()` of a part of the release."""
        self.studies += counts["studies"]
        for kind, values in counts["counts"].items():
            for value, figures in values.items():
                self._counts[kind][value].add(figures)

    def append_part(self, folder: Path) -> None:
        """Append the rows of a part written with `header=False` in `folder`."""
        for fh, name in zip(self._files, ("all_obs.csv", "all_ans.csv"), strict=True):
            with (folder / name).open(newline="", encoding="utf-8") as part:
                shutil.copyfileobj(part, fh)

    def close(self) -> None:
        for fh in self._files:
            if not fh.closed:
                fh.close()

    def finish(self) -> list[str]:
        """Close the streams, write the aggregates; returns the file names written."""
        self.close()
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

        studies, pos, neg, obs, obs_pos, obs_neg = c.values
        return (
            studies,
            pos,
            neg,
            pct(pos, self.studies),
            pct(neg, self.studies),
            obs,
            obs_pos,
            obs_neg,
            pct(obs_pos, obs),
            pct(obs_neg, obs),
        )
