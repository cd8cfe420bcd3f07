"""PadChest label rows -> scene graphs. Each `LabelsLocalizationsBySentence` group becomes one
observation (labels -> finding entities, `loc ...` -> regions or laterality); images are grouped
into studies and patients; PadChest's UMLS CUIs are kept on the study and its observations.

PadChest's own conventions: a group labelled `normal` states that what it names (its `loc`s,
or the whole study) is normal; `exclude` marks a sentence without radiological content
(dropped); `unchanged` is a change of the other labels of its group, not a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from cxrkg.config import Settings
from cxrkg.ingest.extract.build import GraphBuilder
from cxrkg.ingest.extract.records import ExtractedSentence, Extraction, RawObservation
from cxrkg.ingest.mapping import ConceptMapper
from cxrkg.ingest.model import Image, Rejected, SceneGraph, validation_rejection
from cxrkg.ingest.sources.txv_wheel import PADCHEST_LABELS, open_member

COLUMNS = [
    "ImageID",
    "StudyID",
    "PatientID",
    "StudyDate_DICOM",
    "PatientBirth",
    "PatientSex_DICOM",
    "Projection",
    "Rows_DICOM",
    "Columns_DICOM",
    "ReportID",
    "Report",
    "LabelsLocalizationsBySentence",
    "labelCUIS",
    "LocalizationsCUIS",
    "MethodLabel",
]
REQUIRED = ("ImageID", "StudyID", "PatientID", "LabelsLocalizationsBySentence")
SIDES = {"loc left": "left", "loc right": "right", "loc bilateral": "bilateral"}
CHANGE_LABELS = {"unchanged": "unchanged"}
_GROUP = re.compile(r"\[([^\[\]]*)\]")
_ITEM = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_CUI = re.compile(r"C\d{7}")


def parse_groups(text: str) -> list[list[str]] | None:
    """`[['a', 'loc b'], ['normal']]` -> lists of labels; None when it is not that shape."""
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    groups = []
    for g in _GROUP.findall(text[1:-1] if text.startswith("[[") else text):
        items = [(a or b).strip() for a, b in _ITEM.findall(g)]
        items = [i for i in items if i]
        if items:
            groups.append(items)
    return groups


def read_rows(
    fh: IO[bytes] | Path, *, limit: int | None = None, compression: str = "infer"
) -> pd.DataFrame:
    """The label CSV's columns cxrkg uses (all as text); `limit` rows at most."""
    df = pd.read_csv(
        fh,
        compression=compression,
        dtype=str,
        keep_default_na=False,
        usecols=lambda c: c in COLUMNS,
        nrows=limit,
    )
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"PadChest CSV lacks column(s) {', '.join(missing)}")
    return df


def _age_decile(birth: str, date: str) -> str | None:
    try:
        age = int(date[:4]) - int(float(birth))
    except (ValueError, TypeError):
        return None
    if not 0 <= age <= 120:
        return None
    lo = age // 10 * 10
    return f"{lo}-{lo + 9}"


def _int(v: str) -> int | None:
    try:
        return int(float(v))
    except (ValueError, TypeError):
        return None


class PadChestSource:
    """Turns PadChest rows into scene graphs against one ontology."""

    def __init__(self, builder: GraphBuilder, mapper: ConceptMapper) -> None:
        self.builder = builder
        self.mapper = mapper

    def studies(self, df: pd.DataFrame, file: str) -> Iterator[SceneGraph | Rejected]:
        rows = df.to_dict("records")
        by_study: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            by_study.setdefault(row["StudyID"], []).append(row)
        for study_id, group in by_study.items():
            yield self.study(study_id, group, file)

    def study(self, study_id: str, rows: list[dict[str, str]], file: str) -> SceneGraph | Rejected:
        first = rows[0]
        if not study_id:
            return Rejected(file=file, study_id=None, field="StudyID", reason="empty study id")
        if not first.get("PatientID"):
            return Rejected(
                file=file, study_id=study_id, field="PatientID", reason="empty patient id"
            )
        groups = None
        for row in rows:  # images of one study share the report; take the first parseable
            groups = parse_groups(row.get("LabelsLocalizationsBySentence", ""))
            if groups is not None:
                break
        unlabelled = groups is None and all(
            row.get("LabelsLocalizationsBySentence", "").strip().lower() in ("", "nan")
            for row in rows
        )
        if unlabelled:
            # PadChest has images whose report was never labelled: the study and its images
            # load, with nothing to interpret (graded NON_INTERPRETABLE).
            groups = []
        if groups is None:
            return Rejected(
                file=file,
                study_id=study_id,
                field="LabelsLocalizationsBySentence",
                reason=f"not a list of label lists: "
                f"{first.get('LabelsLocalizationsBySentence', '')[:60]!r}",
            )
        extraction = self.extraction(groups)
        images = {}
        for row in rows:
            image_id = row["ImageID"]
            images[image_id] = Image(
                image_id=image_id,
                view_position=row.get("Projection") or None,
                width=_int(row.get("Columns_DICOM", "")),
                height=_int(row.get("Rows_DICOM", "")),
                path=image_id,
            )
        date = first.get("StudyDate_DICOM", "")
        sex = {"M": "M", "F": "F"}.get(first.get("PatientSex_DICOM", ""))
        try:
            sg = self.builder.build(
                extraction,
                patient_id=first["PatientID"],
                study_id=study_id,
                images=images,
                source="padchest",
                study_datetime=f"{date[:4]}-{date[4:6]}-{date[6:8]}" if len(date) == 8 else None,
                gender=sex,
                age_decile=_age_decile(first.get("PatientBirth", ""), date),
            )
        except Exception as exc:  # noqa: BLE001 - one bad study must not stop 160,000 rows
            from pydantic import ValidationError

            if isinstance(exc, ValidationError):
                return validation_rejection(exc, file, study_id)
            return Rejected(
                file=file, study_id=study_id, field=None, reason=f"{type(exc).__name__}: {exc}"
            )
        if unlabelled:
            sg.study_quality["issue_level"] = "NON_INTERPRETABLE"
        extra = sg.__pydantic_extra__ if sg.__pydantic_extra__ is not None else {}
        if unlabelled:
            extra["extraction_issues"] = ["the report has no PadChest labels"]
        extra.update(
            {
                "report": first.get("Report", ""),
                "report_id": first.get("ReportID", ""),
                "label_method": first.get("MethodLabel", ""),
                "label_cuis": sorted(set(_CUI.findall(first.get("labelCUIS", "")))),
                "localization_cuis": sorted(set(_CUI.findall(first.get("LocalizationsCUIS", "")))),
            }
        )
        sg.__pydantic_extra__ = extra
        onto = self.builder.onto
        for o in sg.observations.values():
            cuis = [
                c.codes["UMLS"]
                for c in (onto.get(e, kind="finding") for e in o.obs_entities)
                if c is not None and c.codes.get("UMLS")
            ]
            if cuis:  # the CUIs PadChest's labels carry, per observation
                o.__pydantic_extra__ = {**(o.__pydantic_extra__ or {}), "umls_cuis": cuis}
        return sg.with_origin(file)

    def extraction(self, groups: list[list[str]]) -> Extraction:
        seen: set[tuple[str, ...]] = set()
        abnormal = any(
            label not in ("normal", "exclude")
            and not label.startswith("loc ")
            and label not in CHANGE_LABELS
            for g in groups
            for label in g
        )
        sentences: list[ExtractedSentence] = []
        for group in groups:
            key = tuple(group)
            if key in seen or "exclude" in group:
                continue
            seen.add(key)
            labels = [x for x in group if not x.startswith("loc ") and x not in CHANGE_LABELS]
            locs = [x for x in group if x.startswith("loc ") and x not in SIDES]
            sides = [SIDES[x] for x in group if x in SIDES]
            changes = [CHANGE_LABELS[x] for x in group if x in CHANGE_LABELS]
            laterality = sides[0] if len(set(sides)) == 1 else ("bilateral" if sides else None)
            text = _sentence_text(group)
            sent = ExtractedSentence(f"S{len(sentences) + 1:02d}", "FINDINGS", "FINDINGS", text)
            sentences.append(sent)
            if labels == ["normal"] and not locs and abnormal:
                continue  # "nothing else is abnormal" next to findings adds no observation
            if not labels:
                continue
            regions = [loc[4:] for loc in locs]
            where = f" ({', '.join(r for r in regions)})" if regions else ""
            name = ", ".join(labels) + where
            sent.observations.append(
                RawObservation(
                    name=name,
                    summary_sentence=text,
                    entity=labels,
                    regions=regions,
                    probability="positive",
                    change=changes,
                    change_sentence=text if changes else None,
                    laterality=laterality,
                )
            )
        return Extraction(sentences=sentences, indication=None, extractor="padchest-labels")


def _sentence_text(group: list[str]) -> str:
    labels = [x for x in group if not x.startswith("loc ")]
    locs = [x[4:] for x in group if x.startswith("loc ")]
    text = ", ".join(labels) or "finding"
    if locs:
        text += f" ({', '.join(locs)})"
    return text[:1].upper() + text[1:] + "."


def padchest_scene_graphs(
    onto: Any = None,
    settings: Settings | None = None,
    *,
    path: Path | None = None,
    limit: int | None = None,
    mapper: ConceptMapper | None = None,
) -> Iterator[SceneGraph | Rejected]:
    """Scene graphs of the PadChest label CSV (default: the one in the torchxrayvision wheel).
    `limit` counts studies."""
    if onto is None:
        from cxrkg.ontology import load_ontology

        onto = load_ontology()
    mapper = mapper or ConceptMapper(onto, settings)
    source = PadChestSource(GraphBuilder(onto, mapper), mapper)
    # A study has 1-3 images: 3 rows per study bounds what --limit needs.
    nrows = None if limit is None else limit * 3
    if path is not None:
        file = str(path)
        try:
            df = read_rows(path, limit=nrows)
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            yield Rejected(file=file, reason=f"cannot read the PadChest CSV: {exc}")
            return
    else:
        file = f"torchxrayvision wheel: {PADCHEST_LABELS}"
        with open_member(PADCHEST_LABELS, settings) as fh:
            df = read_rows(fh, limit=nrows, compression="gzip")
    # Map every distinct label and localization once, in one batch (fast path for 160k rows).
    labels: set[str] = set()
    for v in df["LabelsLocalizationsBySentence"].unique():
        for g in parse_groups(v) or []:
            labels.update(g)
    mapper.map_many(sorted(x for x in labels if not x.startswith("loc ")), "finding")
    mapper.map_many(sorted(x[4:] for x in labels if x.startswith("loc ")), "region")
    for n, item in enumerate(source.studies(df, file)):
        if limit is not None and n >= limit:
            return
        yield item


def padchest_reference(
    mapper: ConceptMapper, settings: Settings | None = None, *, path: Path | None = None
) -> tuple[dict[str, set[str]], dict[str, dict[str, set[str]]]]:
    """PadChest's radiologist-labelled studies (`MethodLabel` Physician) as a reference:
    study -> finding concepts (`normal` for a normal study), and study -> concept -> the
    regions its sentence group names. Studies labelled by PadChest's model are left out."""
    cols = ["StudyID", "MethodLabel", "LabelsLocalizationsBySentence"]
    if path is not None:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=cols)
    else:
        with open_member(PADCHEST_LABELS, settings) as fh:
            df = pd.read_csv(fh, compression="gzip", dtype=str, keep_default_na=False, usecols=cols)
    df = df[df["MethodLabel"].str.strip().str.lower() == "physician"].drop_duplicates("StudyID")
    groups = {sid: parse_groups(v) or [] for sid, v in zip(df["StudyID"], df[cols[2]], strict=True)}
    items = {x for gs in groups.values() for g in gs for x in g}
    labels = sorted(x for x in items if not x.startswith("loc ") and x not in ("normal", "exclude"))
    locs = sorted(x[4:] for x in items if x.startswith("loc ") and x not in SIDES)
    finding = {x: m.name for x, m in zip(labels, mapper.map_many(labels, "finding"), strict=True)}
    finding["normal"] = "normal"
    region = {x: m.name for x, m in zip(locs, mapper.map_many(locs, "region"), strict=True)}
    out: dict[str, set[str]] = {}
    where: dict[str, dict[str, set[str]]] = {}
    for sid, gs in groups.items():
        concepts: set[str] = set()
        for g in gs:
            names = {finding[x] for x in g if finding.get(x) and x not in CHANGE_LABELS}
            regions = {region[x[4:]] for x in g if x.startswith("loc ") and region.get(x[4:])}
            concepts |= names
            for n in names - {"normal"}:
                if regions:
                    where.setdefault(sid, {}).setdefault(n, set()).update(regions)
        if len(concepts) > 1:
            concepts.discard("normal")  # "normal" beside findings: the rest is normal
        if concepts:
            out[sid] = concepts
    return out, where


def ingest_padchest(
    store: Any,
    *,
    path: Path | None = None,
    limit: int | None = None,
    strict: bool = False,
    progress: bool = True,
    bulk: bool = False,
    bulk_dir: Path | None = None,
) -> Any:
    """Load PadChest's label rows as scene graphs (an IngestReport; `bulk`: an initial load
    through the engine's importer, see `load_scene_graphs`)."""
    from cxrkg.ingest.load import load_scene_graphs

    report = load_scene_graphs(
        store,
        padchest_scene_graphs(path=path, limit=limit),
        strict=strict,
        progress=progress,
        bulk=bulk,
        bulk_dir=bulk_dir,
    )
    report.source = "PadChest labels"
    return report
