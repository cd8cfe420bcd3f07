"""The Indiana University chest X-ray reports (3,955, CC BY-NC-ND 4.0), read at run time from
the torchxrayvision wheel: `NLMCXR_reports.tgz` plus `nlmcxr_dicom_metadata.csv.gz` for
images and view positions. Nothing of them is copied into the project."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from cxrkg.config import Settings
from cxrkg.ingest.extract.pipeline import ReportPipeline
from cxrkg.ingest.model import Rejected, SceneGraph
from cxrkg.ingest.sources.reports import (
    IUReport,
    iter_iu_xml,
    iu_report_input,
    parse_iu_xml,
)
from cxrkg.ingest.sources.txv_wheel import IU_DICOM_METADATA, IU_REPORTS, open_member

IU_COUNT = 3955


def iu_image_metadata(settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """image id -> view position, width, height (from the DICOM metadata table)."""
    cols = ["imageid", "View Position", "Rows", "Columns"]
    with open_member(IU_DICOM_METADATA, settings) as fh:
        df = pd.read_csv(fh, compression="gzip", usecols=cols, dtype=str, keep_default_na=False)
    out: dict[str, dict[str, Any]] = {}
    for image_id, view, rows, cols_ in zip(
        df["imageid"], df["View Position"], df["Rows"], df["Columns"], strict=True
    ):
        out[image_id] = {
            "view_position": view or None,
            "width": int(float(cols_)) if cols_ else None,
            "height": int(float(rows)) if rows else None,
        }
    return out


def iter_iu_reports(
    settings: Settings | None = None, *, limit: int | None = None
) -> Iterator[tuple[str, IUReport | Rejected]]:
    """(file, parsed report) for every IU report in the wheel, in report-number order."""
    with open_member(IU_REPORTS, settings) as fh:
        data = fh.read()
    for n, (file, xml) in enumerate(iter_iu_xml(io.BytesIO(data), f"wheel:{IU_REPORTS}")):
        if limit is not None and n >= limit:
            return
        yield file, xml if isinstance(xml, Rejected) else parse_iu_xml(xml, file)


def iu_scene_graphs(
    pipeline: ReportPipeline | None = None,
    settings: Settings | None = None,
    *,
    limit: int | None = None,
    with_images: bool = True,
) -> Iterator[SceneGraph | Rejected]:
    """Scene graphs of the IU reports (all 3,955 unless `limit`)."""
    pipeline = pipeline or ReportPipeline(settings=settings)
    meta = iu_image_metadata(settings) if with_images else None
    for file, rep in iter_iu_reports(settings, limit=limit):
        if isinstance(rep, Rejected):
            yield rep
            continue
        yield pipeline.build(iu_report_input(rep, file, meta))


def iu_reference_labels(
    settings: Settings | None = None, *, limit: int | None = None, automatic: bool = True
) -> dict[str, list[str]]:
    """study id -> MeSH terms (major, and automatic if asked): the IU reference labels."""
    out: dict[str, list[str]] = {}
    for _file, rep in iter_iu_reports(settings, limit=limit):
        if isinstance(rep, Rejected):
            continue
        out[rep.study_id] = rep.mesh_major + (rep.mesh_automatic if automatic else [])
    return out


def ingest_iu(
    store: Any,
    *,
    extractor: str = "rules",
    limit: int | None = None,
    strict: bool = False,
    progress: bool = True,
    bulk: bool = False,
    bulk_dir: Path | None = None,
) -> Any:
    """Extract the IU reports from the wheel and load their scene graphs (an IngestReport;
    `bulk`: an initial load through the engine's importer, see `load_scene_graphs`)."""
    from cxrkg.ingest.load import load_scene_graphs

    pipeline = ReportPipeline(extractor=extractor)
    report = load_scene_graphs(
        store,
        iu_scene_graphs(pipeline, limit=limit),
        strict=strict,
        progress=progress,
        bulk=bulk,
        bulk_dir=bulk_dir,
    )
    report.source = f"Indiana University reports ({extractor})"
    return report
