"""Report readers: hand-written IU-style XML (folder, .tgz), malformed files, MIMIC .txt."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from cxrkg.ingest.extract.pipeline import ReportInput
from cxrkg.ingest.model import Rejected
from cxrkg.ingest.sources.reports import parse_iu_xml, read_reports

XML = b"""<?xml version="1.0" encoding="utf-8"?>
<eCitation>
  <uId id="CXR901"/>
  <MedlineCitation><Article><Abstract>
    <AbstractText Label="COMPARISON">None.</AbstractText>
    <AbstractText Label="INDICATION">Shortness of breath</AbstractText>
    <AbstractText Label="FINDINGS">Heart size is upper limits of normal. No focal
      consolidation. XXXX opacity at the right base.</AbstractText>
    <AbstractText Label="IMPRESSION">Right basilar opacity.</AbstractText>
  </Abstract></Article></MedlineCitation>
  <MeSH><major>Opacity/lung/base/right</major><automatic>opacity</automatic></MeSH>
  <parentImage id="CXR901_1_IM-0001-1001"><caption>Xray Chest PA</caption></parentImage>
</eCitation>
"""


def test_iu_xml_sections_mesh_and_images() -> None:
    rep = parse_iu_xml(XML, "901.xml")
    assert not isinstance(rep, Rejected)
    assert rep.study_id == "CXR901"
    assert [s for s, _ in rep.sections] == ["COMPARISON", "INDICATION", "FINDINGS", "IMPRESSION"]
    assert rep.mesh_major == ["Opacity/lung/base/right"] and rep.mesh_automatic == ["opacity"]
    assert rep.image_ids == ["CXR901_1_IM-0001-1001"]


def test_malformed_xml_is_rejected_with_file_and_field() -> None:
    bad = parse_iu_xml(b"<eCitation><uId id='CXR1'>", "1.xml")
    assert isinstance(bad, Rejected) and bad.file == "1.xml" and bad.field == "xml"
    no_id = parse_iu_xml(b"<eCitation></eCitation>", "2.xml")
    assert isinstance(no_id, Rejected) and no_id.field == "uId"


def test_iu_folder_and_tgz(tmp_path: Path) -> None:
    folder = tmp_path / "xml"
    folder.mkdir()
    (folder / "901.xml").write_bytes(XML)
    (folder / "902.xml").write_bytes(b"<broken")
    items = list(read_reports(folder))
    assert isinstance(items[0], ReportInput) and items[0].study_id == "CXR901"
    assert items[0].patient_id == "IU901" and items[0].source == "iu"
    assert "CXR901_1_IM-0001-1001" in items[0].images
    assert isinstance(items[1], Rejected) and "902.xml" in items[1].file
    tgz = tmp_path / "reports.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        info = tarfile.TarInfo("ecgen-radiology/901.xml")
        info.size = len(XML)
        tf.addfile(info, io.BytesIO(XML))
    [item] = list(read_reports(tgz))
    assert isinstance(item, ReportInput) and item.sections and item.study_id == "CXR901"


def test_txt_study_and_patient_from_the_path(tmp_path: Path) -> None:
    p = tmp_path / "p10000032" / "s50414267.txt"
    p.parent.mkdir()
    p.write_text("FINAL REPORT\nFINDINGS: No effusion.\n")
    [item] = list(read_reports(p))
    assert isinstance(item, ReportInput)
    assert (item.patient_id, item.study_id) == ("p10000032", "s50414267")
    empty = tmp_path / "s1.txt"
    empty.write_text("  \n")
    [rej] = list(read_reports(empty))
    assert isinstance(rej, Rejected) and rej.reason == "empty report"
