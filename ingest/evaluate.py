"""Scene graphs against real references (QBA section 3b): study-level finding labels with
per-class and micro Matthews correlation, and finding boxes with pixel-level IoU / IoP / IoT
thresholded at 30 % and micro-averaged."""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cxrkg.ingest.mapping import ConceptMapper
from cxrkg.ingest.model import SceneGraph

NORMAL = "normal"
# Entities that say "nothing abnormal" rather than name a finding.
NORMAL_ENTITIES = {"normal", "no finding"}


class EvaluationError(ValueError):
    """A reference file that cannot be used; the message names the file and column."""


# -- predicted labels ------------------------------------------------------------------------
def predicted_concepts(sg: SceneGraph, *, min_certainty: str = "uncertain") -> set[str]:
    """Finding concepts (and their ancestors) of the study's positive observations, plus
    `normal` when nothing abnormal is positive. `min_certainty`: certain, likely or uncertain."""
    allowed = {
        "certain": {"certain"},
        "likely": {"certain", "likely"},
        "uncertain": {"certain", "likely", "uncertain"},
    }[min_certainty]
    out: set[str] = set()
    for o in sg.observations.values():
        if o.positiveness != "pos" or (o.certainty or "certain") not in allowed:
            continue
        ents = set(o.obs_entities) - NORMAL_ENTITIES
        if ents:
            out |= ents | set(o.obs_entities_parents)
    out.discard("abnormal")
    if not out:
        out.add(NORMAL)
    return out


# -- reference labels ------------------------------------------------------------------------
def map_reference_term(term: str, mapper: ConceptMapper) -> str | None:
    """A MeSH-style term `Opacity/lung/base/left` -> the first part naming a finding. Parts
    that name an anatomical region (`Lung`, `Thoracic Vertebrae`) are skipped, so
    `Lung/hypoinflation` maps through `hypoinflation`."""
    parts = [p.strip() for p in term.split("/") if p.strip()]
    for part in parts:
        if part.lower() in (NORMAL, "no indexing"):
            return NORMAL if part.lower() == NORMAL else None
        lexical = mapper.map_many([part], "finding")[0]
        if lexical.name and lexical.method != "embedding":
            return lexical.name
        if mapper.onto.get(part, kind="region") is not None:
            continue
        if lexical.name:
            return lexical.name
    # "Aorta/tortuous", "Lung/hyperdistention": the qualifier names the finding with its region.
    regions = [p for p in parts if mapper.onto.get(p, kind="region") is not None]
    for region in regions[:1]:
        for part in parts:
            if part == region:
                continue
            for phrase in (f"{part} {region}", f"{region} {part}"):
                hit = mapper.map_many([phrase], "finding")[0]
                if hit.name:
                    return hit.name
    return None


def reference_from_terms(
    terms: Mapping[str, Iterable[str]], mapper: ConceptMapper
) -> tuple[dict[str, set[str]], dict[str, Any]]:
    """study -> reference concepts, and coverage: how many terms mapped and which did not."""
    distinct = sorted({t for ts in terms.values() for t in ts})
    mapped = {t: map_reference_term(t, mapper) for t in distinct}
    out: dict[str, set[str]] = {}
    not_indexed = 0
    for sid, ts in terms.items():
        ts = list(ts)
        labels = {mapped[t] for t in ts if mapped[t]}
        # MeSH "No Indexing": the study was never indexed, so it has no reference at all.
        if not labels and any(t.strip().lower() == "no indexing" for t in ts):
            not_indexed += 1
            continue
        out[sid] = labels
    unmapped = Counter(t for ts in terms.values() for t in ts if not mapped[t])
    total = sum(len(list(ts)) for ts in terms.values())
    return out, {
        "terms": total,
        "unmapped": sum(unmapped.values()),
        "top_unmapped": unmapped.most_common(10),
        "not_indexed_studies": not_indexed,
    }


def read_label_csv(
    path: Path,
    mapper: ConceptMapper,
    *,
    study_column: str | None = None,
    uncertain: str = "positive",
) -> dict[str, set[str]]:
    """A CheXpert-style CSV (study id column, one column per label with 1 / 0 / -1 / blank)
    -> study -> reference concepts. `No Finding` is the normal class; -1 is `uncertain`
    (positive, negative or ignore)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        scol = study_column or next(
            (c for c in cols if c.lower() in ("study_id", "study", "id", "path", "image index")),
            None,
        )
        if scol is None or scol not in cols:
            raise EvaluationError(f"{path}: no study id column (give --study-column)")
        label_cols = [
            c
            for c in cols
            if c != scol
            and c.lower()
            not in (
                "subject_id",
                "patient_id",
                "split",
                "sex",
                "age",
                "view",
                "frontal/lateral",
                "ap/pa",
            )
        ]
        concept = {}
        for c in label_cols:
            concept[c] = NORMAL if c.lower() == "no finding" else map_reference_term(c, mapper)
        out: dict[str, set[str]] = {}
        for row in reader:
            sid = (row.get(scol) or "").strip()
            if not sid:
                continue
            labels = out.setdefault(sid, set())
            for c in label_cols:
                v = (row.get(c) or "").strip()
                if not concept[c]:
                    continue
                if v in ("1", "1.0") or (v in ("-1", "-1.0") and uncertain == "positive"):
                    labels.add(concept[c])
    return out


def map_reference_location(term: str, mapper: ConceptMapper) -> list[str]:
    """The region a MeSH-style term names: `Opacity/lung/base/left` -> `left lung base`.
    Region parts are joined (side first), then tried alone; [] when none names a region."""
    parts = [p.strip().lower() for p in term.split("/") if p.strip()]
    sides = [p for p in parts if p in ("left", "right", "bilateral")]
    words = [p for p in parts if p not in sides and mapper.onto.get(p, kind="region") is not None]
    if not words:
        return []
    joined = " ".join(words)
    for phrase in [f"{s} {joined}" for s in sides if s != "bilateral"] + [joined]:
        c = mapper.onto.get(phrase, kind="region")
        if c is not None:
            return [c.name]
    return [mapper.onto.get(w, kind="region").name for w in words[:1]]


@dataclass
class Reference:
    """Reference study labels: study -> finding concepts (`normal` for a normal study), and
    where the reference places a concept when it says (study -> concept -> regions)."""

    name: str
    labels: dict[str, set[str]]
    locations: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)


def read_long_label_csv(
    path: Path, mapper: ConceptMapper, study_column: str
) -> dict[str, set[str]]:
    """A two-column CSV (study id, label), one row per label -> study -> concepts."""
    out: dict[str, set[str]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        label_col = next(c for c in cols if c != study_column)
        rows = [(row.get(study_column) or "", row.get(label_col) or "") for row in reader]
    distinct = sorted({lab.strip() for _, lab in rows if lab.strip()})
    mapped = {
        lab: NORMAL if lab.lower() in ("no finding", NORMAL) else map_reference_term(lab, mapper)
        for lab in distinct
    }
    for sid, lab in rows:
        sid = sid.strip()
        if not sid:
            continue
        labels = out.setdefault(sid, set())
        if mapped.get(lab.strip()):
            labels.add(mapped[lab.strip()])
    return out


def load_reference(
    spec: str | Path,
    mapper: ConceptMapper,
    *,
    automatic: bool = True,
    study_column: str | None = None,
) -> Reference:
    """`iu` (the IU reports' MeSH terms), `padchest` (PadChest's radiologist-labelled
    studies) or a CSV: CheXpert-style (one column per label) or long (study id, label)."""
    if str(spec).lower() == "iu":
        from cxrkg.ingest.sources.iu import iu_reference_labels

        terms = iu_reference_labels(automatic=automatic)
        labels, coverage = reference_from_terms(terms, mapper)
        concept = {t: map_reference_term(t, mapper) for ts in terms.values() for t in ts}
        locations: dict[str, dict[str, set[str]]] = {}
        for sid, ts in terms.items():
            for t in ts:
                where = map_reference_location(t, mapper) if concept.get(t) else []
                if where:
                    locations.setdefault(sid, {}).setdefault(concept[t], set()).update(where)
        return Reference("IU MeSH", labels, locations, coverage)
    if str(spec).lower() == "padchest":
        from cxrkg.ingest.sources.padchest import padchest_reference

        labels, locations = padchest_reference(mapper)
        return Reference("PadChest radiologist labels", labels, locations)
    path = Path(spec)
    if not path.is_file():
        raise EvaluationError(f"{path}: no such reference CSV (or give 'iu' or 'padchest')")
    with open(path, newline="", encoding="utf-8") as fh:
        cols = next(csv.reader(fh), [])
    scol = study_column or next(
        (c for c in cols if c.lower() in ("study_id", "study", "id", "path", "image index")), None
    )
    if scol is None or scol not in cols:
        raise EvaluationError(f"{path}: no study id column (give --study-column)")
    if len(cols) == 2 and any(c.lower() in ("label", "labels", "finding") for c in cols):
        return Reference(path.name, read_long_label_csv(path, mapper, scol))
    return Reference(path.name, read_label_csv(path, mapper, study_column=scol))


# -- MCC -------------------------------------------------------------------------------------
@dataclass
class ClassScore:
    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def mcc(self) -> float:
        return mcc(self.tp, self.fp, self.fn, self.tn)


def mcc(tp: int, fp: int, fn: int, tn: int) -> float:
    """Matthews correlation coefficient; 0 when a marginal is empty."""
    den = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / den if den else 0.0


@dataclass
class LabelEvaluation:
    classes: list[ClassScore]
    studies: int
    coverage: dict[str, Any] = field(default_factory=dict)

    @property
    def micro(self) -> float:
        return mcc(
            sum(c.tp for c in self.classes),
            sum(c.fp for c in self.classes),
            sum(c.fn for c in self.classes),
            sum(c.tn for c in self.classes),
        )

    def top(self, n: int) -> list[ClassScore]:
        return sorted(self.classes, key=lambda c: (-c.support, c.name))[:n]

    def table(self, n: int | None = None) -> list[dict[str, Any]]:
        rows = self.top(n) if n else sorted(self.classes, key=lambda c: (-c.support, c.name))
        return [
            {
                "class": c.name,
                "support": c.support,
                "tp": c.tp,
                "fp": c.fp,
                "fn": c.fn,
                "mcc": round(c.mcc, 3),
            }
            for c in rows
        ]


def evaluate_labels(
    predicted: Mapping[str, set[str]],
    reference: Mapping[str, set[str]],
    *,
    classes: Iterable[str] | None = None,
    min_support: int = 1,
) -> LabelEvaluation:
    """Per-class and micro MCC over the studies present in both. Classes default to every
    reference concept with at least `min_support` positive studies."""
    studies = sorted(set(predicted) & set(reference))
    if classes is None:
        counts = Counter(c for s in studies for c in reference[s])
        classes = [c for c, n in counts.items() if n >= min_support]
    scores = []
    for cls in classes:
        sc = ClassScore(cls)
        for s in studies:
            p, r = cls in predicted[s], cls in reference[s]
            if p and r:
                sc.tp += 1
            elif p:
                sc.fp += 1
            elif r:
                sc.fn += 1
            else:
                sc.tn += 1
        scores.append(sc)
    return LabelEvaluation(scores, len(studies))


# -- boxes -----------------------------------------------------------------------------------
Box = tuple[float, float, float, float]


def read_nih_boxes(
    path: Path | Any, mapper: ConceptMapper, compression: str = "infer"
) -> dict[tuple[str, str], list[Box]]:
    """NIH `BBox_List_2017.csv` layout (Image Index, Finding Label, x, y, w, h) ->
    (image id, finding concept) -> boxes as (x1, y1, x2, y2)."""
    import pandas as pd

    df = pd.read_csv(path, compression=compression)
    if len(df.columns) < 6 or "Image Index" not in df.columns:
        raise EvaluationError(
            f"{path}: not the BBox_List_2017 layout (Image Index, Finding Label, Bbox [x, y, w, h])"
        )
    cols = list(df.columns)
    concept = {lab: map_reference_term(str(lab), mapper) for lab in df[cols[1]].unique()}
    out: dict[tuple[str, str], list[Box]] = {}
    for image, label, bx, by, bw, bh in zip(*(df[c] for c in cols[:6]), strict=True):
        name = concept.get(label)
        if name:
            x, y = float(bx), float(by)
            out.setdefault((str(image), name), []).append((x, y, x + float(bw), y + float(bh)))
    return out


def predicted_boxes(graphs: Iterable[SceneGraph]) -> dict[tuple[str, str], list[Box]]:
    """(image id, finding concept) -> boxes of the positive observations tagged with it."""
    out: dict[tuple[str, str], list[Box]] = {}
    for sg in graphs:
        for o in sg.observations.values():
            if o.positiveness != "pos":
                continue
            tags = (set(o.obs_entities) | set(o.obs_entities_parents)) - NORMAL_ENTITIES
            for image_id, loc in o.localization.items():
                for tag in tags:
                    out.setdefault((image_id, tag), []).extend(tuple(b) for b in loc.bboxes)
    return out


def _mask(boxes: list[Box], shape: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    for x1, y1, x2, y2 in boxes:
        m[
            max(0, int(y1)) : max(0, int(math.ceil(y2))),
            max(0, int(x1)) : max(0, int(math.ceil(x2))),
        ] = True
    return m


@dataclass
class BoxEvaluation:
    per_class: dict[str, dict[str, float]]
    pairs: int
    micro: dict[str, float]


def evaluate_boxes(
    predicted: Mapping[tuple[str, str], list[Box]],
    reference: Mapping[tuple[str, str], list[Box]],
    *,
    threshold: float = 0.3,
) -> BoxEvaluation:
    """Pixel-level IoU, IoP and IoT per (image, finding) pair with both a prediction and a
    target; per class and micro-averaged: the share of pairs at or above `threshold`."""
    hits: dict[str, Counter[str]] = {}
    n_class: Counter[str] = Counter()
    for key in sorted(set(predicted) & set(reference)):
        pred, ref = predicted[key], reference[key]
        if not pred or not ref:
            continue
        h = int(math.ceil(max(b[3] for b in pred + ref))) + 1
        w = int(math.ceil(max(b[2] for b in pred + ref))) + 1
        pm, rm = _mask(pred, (h, w)), _mask(ref, (h, w))
        inter = float(np.logical_and(pm, rm).sum())
        union = float(np.logical_or(pm, rm).sum())
        scores = {
            "IoU": inter / union if union else 0.0,
            "IoP": inter / pm.sum() if pm.sum() else 0.0,
            "IoT": inter / rm.sum() if rm.sum() else 0.0,
        }
        cls = key[1]
        n_class[cls] += 1
        counter = hits.setdefault(cls, Counter())
        for metric, v in scores.items():
            counter[metric] += v >= threshold
    per_class = {
        c: {m: hits[c][m] / n_class[c] for m in ("IoU", "IoP", "IoT")} | {"pairs": n_class[c]}
        for c in n_class
    }
    total = sum(n_class.values())
    micro = {
        m: (sum(hits[c][m] for c in hits) / total if total else 0.0) for m in ("IoU", "IoP", "IoT")
    }
    return BoxEvaluation(per_class, total, micro)


# -- from the graph --------------------------------------------------------------------------
def _read_graphs(store: Any, study_ids: Iterable[str]) -> Iterable[SceneGraph]:
    from cxrkg.ingest.graph_read import read_scene_graph

    for sid in study_ids:
        try:
            yield read_scene_graph(store, sid)
        except LookupError:
            continue  # a reference study that was never loaded is not scored


def evaluate_labels_in_store(
    store: Any,
    reference: str | Path,
    *,
    mapper: ConceptMapper | None = None,
    min_certainty: str = "uncertain",
    automatic: bool = True,
    study_column: str | None = None,
) -> LabelEvaluation:
    """Study labels of the loaded graphs against `reference` (see `load_reference`)."""
    if mapper is None:
        from cxrkg.ontology import load_ontology

        mapper = ConceptMapper(load_ontology())
    loaded = load_reference(reference, mapper, automatic=automatic, study_column=study_column)
    ref, coverage = loaded.labels, loaded.coverage
    predicted = {
        sg.study_id: predicted_concepts(sg, min_certainty=min_certainty)
        for sg in _read_graphs(store, sorted(ref))
    }
    if not predicted:
        raise EvaluationError("none of the reference studies is in the graph; ingest them first")
    result = evaluate_labels(predicted, ref)
    result.coverage = coverage
    return result


def evaluate_boxes_in_store(
    store: Any,
    reference: str | Path,
    *,
    mapper: ConceptMapper | None = None,
    threshold: float = 0.3,
) -> BoxEvaluation:
    """Finding boxes of the loaded graphs against a reference box CSV (NIH BBox_List_2017
    layout; `nih` reads the one in the torchxrayvision wheel)."""
    if mapper is None:
        from cxrkg.ontology import load_ontology

        mapper = ConceptMapper(load_ontology())
    if str(reference).lower() == "nih":
        from cxrkg.ingest.sources.txv_wheel import NIH_BBOX, open_member

        with open_member(NIH_BBOX) as fh:
            ref = read_nih_boxes(fh, mapper, compression="gzip")
    else:
        path = Path(reference)
        if not path.is_file():
            raise EvaluationError(f"{path}: no such reference box CSV (or give 'nih')")
        ref = read_nih_boxes(path, mapper)
    image_ids = sorted({image for image, _ in ref})
    rows = store.run_named("explore/studies_of_images", {"ids": image_ids}, read_only=True)
    graphs = list(_read_graphs(store, sorted({r["study_id"] for r in rows if r["study_id"]})))
    return evaluate_boxes(predicted_boxes(graphs), ref, threshold=threshold)
