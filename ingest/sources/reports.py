"""Free-text report readers -> `ReportInput`: MIMIC-CXR `.txt` files (the FINAL REPORT
layout), a CSV with a report column, and Indiana University XML files (a folder or .tgz).
`report_scene_graphs` runs them through the extraction pipeline."""

from __future__ import annotations

import csv
import io
import re
import tarfile
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from cxrkg.ingest.extract.pipeline import ReportInput, ReportPipeline
from cxrkg.ingest.model import Image, Rejected, SceneGraph, validation_rejection
from cxrkg.ingest.sources.raw import (
    MAX_FILE_BYTES,
    Unreadable,
    internal_error,
    once_per_study,
    read_file,
)

REPORT_COLUMNS = ("report", "report_text", "text", "reports", "findings_impression", "content")
STUDY_COLUMNS = ("study_id", "studyid", "study", "id", "accession", "report_id")
PATIENT_COLUMNS = ("patient_id", "subject_id", "patientid", "patient", "subject")


class ReportSourceError(ValueError):
    """A file that cannot be read at all (missing, or missing a required column)."""


def _decode(data: bytes, file: str, study_id: str | None) -> str | Rejected:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Rejected(
            file=file,
            study_id=study_id,
            field="text",
            reason=f"not UTF-8 text (byte {exc.start}); re-encode the file as UTF-8",
        )


# -- MIMIC-CXR .txt -------------------------------------------------------------------------
def read_txt(path: Path) -> ReportInput | Rejected:
    """One MIMIC-CXR report file: `.../p10000032/s50414267.txt`."""
    study_id = path.stem
    parent = path.parent.name
    patient_id = parent if re.fullmatch(r"p\d+", parent) else study_id
    try:
        data = read_file(path)
    except Unreadable as exc:
        return Rejected(file=str(path), study_id=study_id, reason=str(exc))
    text = _decode(data, str(path), study_id)
    if isinstance(text, Rejected):
        return text
    if not text.strip():
        return Rejected(file=str(path), study_id=study_id, field="text", reason="empty report")
    return ReportInput(file=str(path), study_id=study_id, patient_id=patient_id, text=text)


# -- CSV -------------------------------------------------------------------------------------
def _pick(columns: list[str], wanted: Iterable[str], explicit: str | None) -> str | None:
    if explicit:
        return explicit if explicit in columns else None
    lower = {c.lower().strip(): c for c in columns}
    return next((lower[w] for w in wanted if w in lower), None)


def read_csv(
    path: Path,
    *,
    report_column: str | None = None,
    study_column: str | None = None,
    patient_column: str | None = None,
) -> Iterator[ReportInput | Rejected]:
    """Rows of a CSV with one report per row. The report column is `report` (or `text`, ...)
    unless named; study and patient ids default to the row number.

    The CSV is read strictly: a quote left open or a stray quote is a rejection naming the
    lines it spans (it would otherwise merge rows silently), as is a row with more or fewer
    fields than the header, or a field over the csv module's limit of 131,072 characters."""
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportSourceError(f"{file}: cannot read ({exc})") from exc
    text = _decode(data, file, None)
    if isinstance(text, Rejected):
        yield text
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        columns = next(reader, [])
    except csv.Error as exc:
        raise ReportSourceError(f"{file}: the header line is not valid CSV ({exc})") from exc
    rcol = _pick(columns, REPORT_COLUMNS, report_column)
    if rcol is None:
        raise ReportSourceError(
            f"{file}: no report column ({report_column or ' / '.join(REPORT_COLUMNS)}) among "
            f"{', '.join(columns) or 'no columns'}; name it with --report-column"
        )
    scol = _pick(columns, STUDY_COLUMNS, study_column)
    pcol = _pick(columns, PATIENT_COLUMNS, patient_column)
    n = 0
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _bad_csv_lines(file, text, start, reader.line_num, exc)
            continue
        if not fields:  # a blank line
            continue
        n += 1
        where = (
            f"{file}:{start}" if start == reader.line_num else f"{file}:{start}-{reader.line_num}"
        )
        row = dict(zip(columns, fields, strict=False))
        study_id = (row.get(scol) or "").strip() if scol else ""
        study_id = study_id or f"row{n}"
        if len(fields) != len(columns):
            yield Rejected(
                file=where,
                study_id=study_id,
                reason=f"the row has {len(fields)} fields, the header {len(columns)}: a stray"
                " comma or quote? quote fields that hold commas",
            )
            continue
        patient_id = ((row.get(pcol) or "").strip() if pcol else "") or study_id
        report = row.get(rcol)
        if report is None or not report.strip():
            yield Rejected(file=where, study_id=study_id, field=rcol, reason="empty report")
            continue
        yield ReportInput(file=where, study_id=study_id, patient_id=patient_id, text=report)


def _bad_csv_lines(file: str, text: str, start: int, end: int, exc: csv.Error) -> Rejected:
    """A rejection for lines the csv reader could not split into a row."""
    first_line = text.splitlines()[start - 1] if start - 1 < len(text.splitlines()) else ""
    study_id = first_line.split(",", 1)[0].strip().strip('"') or None
    if "field larger than field limit" in str(exc):
        reason = "a field is longer than 131,072 characters, the most a CSV field may hold"
    elif "unexpected end of data" in str(exc):
        reason = "a quote opened here is never closed: nothing from here to the end was read"
    else:
        reason = (
            f"malformed CSV ({exc}): a quote left open or a stray quote; these lines are not read"
        )
    lines = f"{start}" if start >= end else f"{start}-{end}"
    return Rejected(file=f"{file}:{lines}", study_id=study_id, reason=reason)


# -- Indiana University XML --------------------------------------------------------------------
@dataclass
class IUReport:
    """What one IU XML file holds, with its MeSH terms (the reference labels)."""

    study_id: str
    sections: list[tuple[str, str]]
    mesh_major: list[str] = field(default_factory=list)
    mesh_automatic: list[str] = field(default_factory=list)
    image_ids: list[str] = field(default_factory=list)
    captions: dict[str, str] = field(default_factory=dict)


def parse_iu_xml(data: bytes, file: str) -> IUReport | Rejected:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return Rejected(file=file, field="xml", reason=f"not well-formed XML: {exc}")
    uid = root.find("uId")
    study_id = uid.get("id") if uid is not None else None
    if not study_id:
        return Rejected(file=file, field="uId", reason="no <uId id=...> study id")
    sections = []
    for node in root.iter("AbstractText"):
        label = (node.get("Label") or "").strip().upper()
        text = "".join(node.itertext()).strip()
        if label and text:
            sections.append((label, text))
    images, captions = [], {}
    for img in root.iter("parentImage"):
        iid = img.get("id")
        if iid:
            images.append(iid)
            cap = img.findtext("caption")
            if cap:
                captions[iid] = cap.strip()
    return IUReport(
        study_id=study_id,
        sections=sections,
        mesh_major=[(m.text or "").strip() for m in root.iter("major") if m.text],
        mesh_automatic=[(m.text or "").strip() for m in root.iter("automatic") if m.text],
        image_ids=images,
        captions=captions,
    )


def iter_iu_xml(path: Path | IO[bytes], name: str = "") -> Iterator[tuple[str, bytes | Rejected]]:
    """(file name, bytes) of every .xml in a folder, a single file, or a .tgz archive; a
    file over the size limit comes as a Rejected instead of its bytes."""
    if isinstance(path, Path) and (path.is_dir() or path.suffix == ".xml"):
        files = sorted(path.rglob("*.xml"), key=_natural) if path.is_dir() else [path]
        for p in files:
            try:
                yield str(p), read_file(p)
            except Unreadable as exc:
                yield str(p), Rejected(file=str(p), reason=str(exc))
        return
    fh = path.open("rb") if isinstance(path, Path) else path
    label = str(path) if isinstance(path, Path) else name
    try:
        with tarfile.open(fileobj=fh, mode="r:*") as tf:
            members = sorted(
                (m for m in tf.getmembers() if m.isfile() and m.name.endswith(".xml")),
                key=lambda m: _natural(Path(m.name)),
            )
            for m in members:
                file = f"{label}:{m.name}"
                if m.size > MAX_FILE_BYTES:
                    reason = f"{m.size:,} bytes; at most {MAX_FILE_BYTES:,} are read for one report"
                    yield file, Rejected(file=file, reason=reason)
                    continue
                f = tf.extractfile(m)
                if f is not None:
                    yield file, f.read(MAX_FILE_BYTES)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ReportSourceError(
            f"{label}: not a folder, .xml or .tgz of IU reports ({exc})"
        ) from exc
    finally:
        if isinstance(path, Path):
            fh.close()


def _natural(p: Path) -> tuple[int, str]:
    m = re.search(r"(\d+)", p.stem)
    return (int(m.group(1)) if m else 0, p.name)


def iu_report_input(
    rep: IUReport, file: str, image_meta: dict[str, dict[str, Any]] | None = None
) -> ReportInput:
    images = {}
    for iid in rep.image_ids:
        meta = (image_meta or {}).get(iid) or (image_meta or {}).get(_iu_meta_id(iid)) or {}
        images[iid] = Image(
            image_id=iid,
            view_position=meta.get("view_position"),
            width=meta.get("width"),
            height=meta.get("height"),
            path=f"{iid}.png",
            caption=rep.captions.get(iid),
        )
    number = re.sub(r"\D", "", rep.study_id)
    return ReportInput(
        file=file,
        study_id=rep.study_id,
        patient_id=f"IU{number}",
        sections=rep.sections,
        images=images,
        source="iu",
    )


def _iu_meta_id(image_id: str) -> str:
    """XML `CXR1_1_IM-0001-3001` is `CXR1_IM-0001-3001` in the DICOM metadata table."""
    return re.sub(r"^(CXR\d+)_\d+_", r"\1_", image_id)


# -- any path ---------------------------------------------------------------------------------
def read_reports(path: Path, **csv_options: str | None) -> Iterator[ReportInput | Rejected]:
    """Reports from a .txt file, a folder of .txt or .xml files, a .csv, or an IU .xml/.tgz."""
    path = Path(path)
    if not path.exists():
        raise ReportSourceError(f"{path}: no such file or folder")
    if path.is_dir():
        txts = sorted(path.rglob("*.txt"))
        xmls = [] if txts else sorted(path.rglob("*.xml"))
        csvs = [] if txts or xmls else sorted(path.rglob("*.csv"))
        if not (txts or xmls or csvs):
            raise ReportSourceError(f"{path}: no .txt, .xml or .csv reports in this folder")
        for p in txts:
            yield read_txt(p)
        if xmls:
            yield from _iu_inputs(path)
        for p in csvs:
            yield from read_csv(p, **csv_options)
        return
    suffix = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() == ".txt":
        yield read_txt(path)
    elif path.suffix.lower() == ".csv":
        yield from read_csv(path, **csv_options)
    elif path.suffix.lower() == ".xml" or suffix in (".tgz", ".tar.gz") or path.suffix == ".tgz":
        yield from _iu_inputs(path)
    else:
        raise ReportSourceError(f"{path}: unknown report file type (use .txt, .csv, .xml, .tgz)")


def _iu_inputs(
    path: Path | IO[bytes], name: str = "", image_meta: dict[str, dict[str, Any]] | None = None
) -> Iterator[ReportInput | Rejected]:
    for file, data in iter_iu_xml(path, name):
        rep = data if isinstance(data, Rejected) else parse_iu_xml(data, file)
        if isinstance(rep, Rejected):
            yield rep
            continue
        try:
            yield iu_report_input(rep, file, image_meta)
        except ValidationError as exc:  # an image id that cannot be one
            yield validation_rejection(exc, file, rep.study_id)


def report_inputs(
    path: Path, *, limit: int | None = None, **csv_options: str | None
) -> Iterator[ReportInput | Rejected]:
    """The reports at `path`, each study once (a second one is rejected), at most `limit`."""
    for n, item in enumerate(once_per_study(read_reports(path, **csv_options))):
        if limit is not None and n >= limit:
            return
        yield item


def build_report(pipeline: ReportPipeline, item: ReportInput | Rejected) -> SceneGraph | Rejected:
    """One report's scene graph; a failure is the report's rejection, not the run's end."""
    if isinstance(item, Rejected):
        return item
    try:
        return pipeline.build(item)
    except Exception as exc:  # noqa: BLE001 - one report must not end the run
        return internal_error(item.file, item.study_id, exc)


def report_scene_graphs(
    path: Path,
    pipeline: ReportPipeline | None = None,
    *,
    limit: int | None = None,
    **csv_options: str | None,
) -> Iterator[SceneGraph | Rejected]:
    """Scene graphs of the reports at `path` (rule extractor unless the pipeline says); a
    study id given twice is loaded once and the second is rejected."""
    pipeline = pipeline or ReportPipeline()
    for item in report_inputs(path, limit=limit, **csv_options):
        yield build_report(pipeline, item)


def ingest_reports(
    store: Any,
    path: Path,
    *,
    extractor: str = "rules",
    limit: int | None = None,
    strict: bool = False,
    progress: bool = True,
    executor: str = "local",
    ray_address: str | None = None,
    bulk: bool = False,
    bulk_dir: Path | None = None,
    **csv_options: str | None,
) -> Any:
    """Extract the reports at `path` and load their scene graphs (an IngestReport). With
    `executor="ray"` the extraction runs in Ray actors (`ingest.extract.ray_extract`) and
    this process loads what they return, in the order of the reports; `bulk`: an initial
    load through the engine's importer, see `load_scene_graphs`."""
    from cxrkg.config import get_settings
    from cxrkg.ingest.load import load_scene_graphs

    settings = get_settings()
    if extractor not in ("rules", "llm"):
        raise ValueError(f"unknown extractor {extractor!r}: use 'rules' or 'llm'")
    if executor == "ray":
        from cxrkg.ingest.extract.ray_extract import scene_graphs_on_ray

        graphs = scene_graphs_on_ray(
            report_inputs(Path(path), limit=limit, **csv_options),
            extractor=extractor,
            settings=settings,
            address=ray_address,
        )
    elif executor == "local":
        pipeline = ReportPipeline(settings=settings, extractor=extractor)
        graphs = report_scene_graphs(Path(path), pipeline, limit=limit, **csv_options)
    else:
        raise ValueError(f"unknown executor {executor!r}: use 'local' or 'ray'")
    report = load_scene_graphs(
        store, graphs, strict=strict, progress=progress, bulk=bulk, bulk_dir=bulk_dir
    )
    report.source = f"reports ({extractor}{', on Ray' if executor == 'ray' else ''})"
    return report
