"""Hostile and careless input (issue 11, items 6 and 7): each bad study is a named rejection
(file, study, field) while the rest of the input loads, and what is stored is exactly what
was accepted. Against a real embedded FalkorDB."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cxrkg.app.demo import demo_dir
from cxrkg.ingest.graph_read import read_scene_graph
from cxrkg.ingest.load import ingest_imagenome, ingest_qba
from cxrkg.ingest.model import Rejected, SceneGraph
from cxrkg.ingest.sources.raw import MAX_FILE_BYTES
from cxrkg.ingest.sources.reports import read_reports
from cxrkg.qa_gen.export import UnsafePath, qa_member, scene_members

DATA = Path(__file__).parent / "data"
GOOD = "p10/p10000001/s50000002"  # loads beside every bad study
BAD = "p10/p10000001/s50000001"  # the study each case damages
BAD_ID = "s50000001"


def qba_tree(tmp_path: Path, change: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """The two demo studies as a QBA tree, the first one changed by `change`."""
    root = tmp_path / "qba"
    shutil.rmtree(root, ignore_errors=True)
    for rel in (GOOD, BAD):
        for suffix in (".scene_graph.json", ".metadata.json"):
            (root / f"{rel}{suffix}").parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(demo_dir() / f"{rel}{suffix}", root / f"{rel}{suffix}")
    path = root / f"{BAD}.scene_graph.json"
    data = json.loads(path.read_text())
    if change is not None:
        change(data)
    path.write_text(json.dumps(data))  # one line: `replace_text` finds its pieces
    return root


def replace_text(tmp_path: Path, old: str, new: str) -> Path:
    """The two demo studies, the first with `old` replaced by `new` in its JSON text."""
    root = qba_tree(tmp_path)
    path = root / f"{BAD}.scene_graph.json"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return root


def the_rejection(report) -> Rejected:
    assert report.loaded == ["s50000002"], report.summary()
    assert len(report.rejected) == 1, report.summary()
    return report.rejected[0]


BOX = '"bboxes": [[410.0, 320.0, 480.0, 385.0]]'
BOX_FIELD = "observations.O01.localization.50000001-01-pa.bboxes.0.2"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_box_coordinate_that_is_not_a_finite_number_is_rejected_by_field(store, tmp_path, number):
    root = replace_text(tmp_path, BOX, BOX.replace("480.0", number))
    bad = the_rejection(ingest_qba(store, root, progress=False))
    assert bad.study_id == BAD_ID and bad.field == BOX_FIELD
    assert "not a finite number" in bad.reason and bad.file.endswith("s50000001.scene_graph.json")


def test_a_lone_surrogate_in_a_sentence_is_rejected_not_a_traceback(store, tmp_path):
    root = replace_text(tmp_path, "There is a moderate", "There is \\ud800 a moderate")
    bad = the_rejection(ingest_qba(store, root, progress=False))
    assert bad.field.startswith("sentences.") and bad.field.endswith(".sentence")
    assert "surrogate" in bad.reason
    print(bad.describe())  # printable: the terminal can show the message


def test_json_nested_200000_deep_is_rejected_and_the_rest_loads(store, tmp_path):
    root = qba_tree(tmp_path)
    path = root / f"{BAD}.scene_graph.json"
    text = path.read_text().rstrip()
    path.write_text(text[:-1] + ', "x": ' + "[" * 200_000 + "]" * 200_000 + "}")
    bad = the_rejection(ingest_qba(store, root, progress=False))
    assert bad.study_id == BAD_ID and "nests too deeply" in bad.reason


def test_json_nested_past_the_limit_is_rejected_naming_where(store, tmp_path):
    def deep(d: dict[str, Any]) -> None:
        d["extra"] = json.loads("[" * 70 + "]" * 70)

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, deep), progress=False))
    assert bad.field.startswith("extra.0.0") and "nested deeper than 64 levels" in bad.reason


def test_an_unknown_quality_value_is_rejected_with_the_known_ones(store, tmp_path):
    def odd(d: dict[str, Any]) -> None:
        d["study_quality"]["change_quality"] = 77056

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, odd), progress=False))
    assert bad.field == "study_quality.change_quality"
    assert "unknown value 77056" in bad.reason and "NO_ISSUES" in bad.reason


def test_a_quality_value_by_code_or_name_and_unknown_criteria_are_kept(store, tmp_path):
    def coded(d: dict[str, Any]) -> None:
        d["study_quality"]["change_quality"] = 3  # NO_ISSUES by its code
        d["study_quality"]["site_specific_check"] = "whatever the site says"

    report = ingest_qba(store, qba_tree(tmp_path, coded), progress=False)
    assert sorted(report.loaded) == ["s50000001", "s50000002"], report.summary()
    back = read_scene_graph(store, BAD_ID).study_quality
    # a code is read as its option's name (the release's codes and the seed's names both)
    assert back["change_quality"] == "NO_ISSUES"
    assert back["site_specific_check"] == "whatever the site says"


def test_child_level_past_64_bits_is_rejected_not_clamped(store, tmp_path):
    def huge(d: dict[str, Any]) -> None:
        d["observations"]["O01"]["child_level"] = 10**30

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, huge), progress=False))
    assert bad.field == "observations.O01.child_level"
    assert store.run("MATCH (o:Observation {child_level: 9223372036854775807}) RETURN o") == []


def test_a_boolean_where_a_number_belongs_is_rejected_not_read_as_1(store, tmp_path):
    def flag(d: dict[str, Any]) -> None:
        d["observations"]["O01"]["child_level"] = True

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, flag), progress=False))
    assert bad.field == "observations.O01.child_level" and "integer" in bad.reason


def test_a_localization_keyed_by_another_image_is_rejected(store, tmp_path):
    def rekey(d: dict[str, Any]) -> None:
        loc = d["observations"]["O01"]["localization"]
        loc["50000001-02-lateral"] = loc.pop("50000001-01-pa")

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, rekey), progress=False))
    assert bad.field == "observations.O01.localization.50000001-02-lateral"
    assert "differs from its image_id '50000001-01-pa'" in bad.reason


def test_an_image_keyed_by_another_id_is_rejected(store, tmp_path):
    def rekey(d: dict[str, Any]) -> None:
        d["images"]["elsewhere"] = d["images"].pop("50000001-02-lateral")

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, rekey), progress=False))
    assert bad.field == "images.elsewhere"


def test_a_modifier_type_with_a_colon_is_rejected(store, tmp_path):
    def colon(d: dict[str, Any]) -> None:
        d["observations"]["O01"]["modifiers"] = {"sev:erity": ["moderate"]}

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, colon), progress=False))
    assert bad.field == "observations.O01.modifiers" and "':'" in bad.reason


def test_a_modifier_value_with_a_colon_round_trips(store, tmp_path):
    def colon(d: dict[str, Any]) -> None:
        d["observations"]["O01"]["modifiers"] = {"severity": ["moderate: to large"]}

    ingest_qba(store, qba_tree(tmp_path, colon), progress=False)
    back = read_scene_graph(store, BAD_ID).observations["O01"].modifiers
    assert back == {"severity": ["moderate: to large"]}


def test_a_nul_character_in_text_is_rejected(store, tmp_path):
    root = replace_text(tmp_path, "There is a moderate", "There is\\u0000 a moderate")
    bad = the_rejection(ingest_qba(store, root, progress=False))
    assert "NUL" in bad.reason


def test_box_coordinates_keep_15_significant_digits_as_the_store_returns_them(store, tmp_path):
    root = replace_text(tmp_path, BOX, BOX.replace("480.0", "480.12345678901234567"))
    ingest_qba(store, root, progress=False)
    back = read_scene_graph(store, BAD_ID)
    accepted = next(g for g in ingest_source(root) if g.study_id == BAD_ID)
    assert back.model_dump() == accepted.model_dump()  # stored exactly as accepted
    assert back.observations["O01"].localization["50000001-01-pa"].bboxes[0][2] == 480.123456789012


def ingest_source(root: Path) -> list[SceneGraph]:
    from cxrkg.ingest.sources.qba import QBASource

    return [g for g in QBASource(root) if isinstance(g, SceneGraph)]


# -- zips -----------------------------------------------------------------------------------
def zip_of(root: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(root.rglob("*.json")):
            z.write(f, f.relative_to(root).as_posix())
    return out


def test_a_corrupt_deflate_member_is_rejected_and_the_other_members_load(store, tmp_path):
    archive = zip_of(qba_tree(tmp_path), tmp_path / "scene_data.zip")
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo(f"{BAD}.scene_graph.json")
    data = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 40  # inside the compressed data
    for i in range(start, start + 40):
        data[i] ^= 0xA5
    archive.write_bytes(bytes(data))
    bad = the_rejection(ingest_qba(store, archive, progress=False))
    assert bad.study_id == BAD_ID and "damaged" in bad.reason
    assert bad.file.endswith(f"!{BAD}.scene_graph.json")


def test_a_zip_bomb_is_refused_without_inflating_it(store, tmp_path):
    root = qba_tree(tmp_path)
    archive = zip_of(root, tmp_path / "scene_data.zip")
    bomb = "p10/p10000009/s59999999.scene_graph.json"
    with (
        zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z,
        z.open(bomb, "w", force_zip64=True) as fh,
    ):
        chunk = b" " * (1 << 20)
        for _ in range(400):  # 400 MiB of spaces: valid JSON whitespace
            fh.write(chunk)
    assert archive.stat().st_size < 2 * 1024 * 1024
    report = ingest_qba(store, archive, progress=False)
    assert sorted(report.loaded) == ["s50000001", "s50000002"]
    (bad,) = report.rejected
    assert bad.study_id == "s59999999" and f"at most {MAX_FILE_BYTES:,}" in bad.reason


def test_a_member_that_inflates_past_the_ratio_is_refused(store, tmp_path):
    archive = zip_of(qba_tree(tmp_path), tmp_path / "scene_data.zip")
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("p10/p10000009/s59999998.scene_graph.json", b"{}" + b" " * (8 << 20))
    report = ingest_qba(store, archive, progress=False)
    (bad,) = report.rejected
    assert bad.study_id == "s59999998" and "zip bomb" in bad.reason


def test_one_study_in_two_files_loads_the_first_and_rejects_the_second(store, tmp_path):
    root = qba_tree(tmp_path)
    twin = root / "p10/p10000002/s50000002.scene_graph.json"
    twin.parent.mkdir(parents=True)
    shutil.copy(root / f"{GOOD}.scene_graph.json", twin)
    report = ingest_qba(store, root, progress=False)
    assert sorted(report.loaded) == ["s50000001", "s50000002"]
    (bad,) = report.rejected
    assert bad.study_id == "s50000002" and bad.field == "study_id"
    assert "p10000001" in bad.reason and "p10000002" in bad.file


# -- ids that become paths (item 7) ---------------------------------------------------------
@pytest.mark.parametrize(
    "patient_id", ["../../../../outside", "/etc", "..", "p1\\..\\x", "p1\x00", "p" * 201]
)
def test_a_patient_id_that_could_leave_a_folder_is_rejected(store, tmp_path, patient_id):
    def move(d: dict[str, Any]) -> None:
        d["patient_id"] = patient_id

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, move), progress=False))
    assert bad.field == "patient_id" and bad.study_id == BAD_ID


def test_an_image_id_with_a_path_separator_is_rejected(store, tmp_path):
    def sep(d: dict[str, Any]) -> None:
        img = d["images"].pop("50000001-02-lateral")
        img["image_id"] = "../lateral"
        d["images"]["../lateral"] = img

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, sep), progress=False))
    assert bad.field == "images.../lateral.image_id"


def test_qa_release_names_no_member_outside_its_folders():
    assert qa_member("p10000001", "s50000001") == "qa/p10/p10000001/s50000001.qa.json"
    for patient, study in [("../../../../outside", "s1"), ("p1", "../s1"), ("..", "s1")]:
        with pytest.raises(UnsafePath, match="is not written"):
            qa_member(patient, study)
        with pytest.raises(UnsafePath, match="is not written"):
            scene_members(patient, study)


def test_qa_generate_skips_a_study_whose_stored_patient_id_is_a_path(store, tmp_path):
    """Defence in depth: a graph written by other means than cxrkg's ingest."""
    import zipfile

    from cxrkg.qa_gen.generate import generate_qa

    ingest_qba(store, qba_tree(tmp_path), progress=False)
    store.run(
        "MATCH (p:Patient {patient_id: 'p10000001'})-[:HAS_STUDY]->(s:Study {study_id: $s}) "
        "SET s.patient_id = $bad, p.patient_id = $bad",
        {"s": "s50000001", "bad": "../../../../outside"},
    )
    out = tmp_path / "deep" / "a" / "b" / "c" / "out"
    report = generate_qa(store, ["s50000001", "s50000002"], out, progress=False)
    assert any("s50000001" in r and "patient_id" in r for r in report.refused)
    assert not list((tmp_path / "deep").glob("outside*")) and not (tmp_path / "outside").exists()
    names = zipfile.ZipFile(out / "qa.zip").namelist()
    assert names == ["qa/p10/p10000001/s50000002.qa.json"]


# -- ImaGenome --------------------------------------------------------------------------------
def imagenome_copy(tmp_path: Path) -> Path:
    root = tmp_path / "imagenome"
    shutil.copytree(DATA / "imagenome", root)
    return root


def test_imagenome_file_with_a_non_finite_box_is_rejected_naming_the_field(store, tmp_path):
    root = imagenome_copy(tmp_path)
    files = sorted(root.glob("*_SceneGraph.json"))
    text = files[0].read_text()
    key = '"original_x1": '
    i = text.index(key) + len(key)
    j = min(text.index(",", i), text.index("}", i))
    files[0].write_text(text[:i] + "NaN" + text[j:])
    report = ingest_imagenome(store, root, progress=False)
    assert len(report.rejected) == 1 and len(report.loaded) == 1  # 3 files, 2 studies
    bad = report.rejected[0]
    assert bad.file == str(files[0]) and bad.field.startswith("objects.")
    assert bad.field.endswith(".original_x1") and "not a finite number" in bad.reason


def test_imagenome_two_files_for_one_image_are_rejected(store, tmp_path):
    root = imagenome_copy(tmp_path)
    first = sorted(root.glob("*_SceneGraph.json"))[0]
    shutil.copy(first, root / ("copy-" + first.name))
    report = ingest_imagenome(store, root, progress=False)
    assert len(report.rejected) == 1 and report.rejected[0].field == "image_id"
    assert "also described by" in report.rejected[0].reason


# -- report CSVs ------------------------------------------------------------------------------
def csv_items(tmp_path: Path, text: str) -> list:
    path = tmp_path / "reports.csv"
    path.write_text(text, encoding="utf-8")
    from cxrkg.ingest.sources.raw import once_per_study

    return list(once_per_study(read_reports(path)))


def test_csv_field_over_the_csv_limit_is_rejected_and_later_rows_load(tmp_path):
    long = "No effusion. " * 11_000  # 143,000 characters
    items = csv_items(tmp_path, f'study_id,report\ns1,"{long}"\ns2,Lungs clear.\n')
    (bad,) = [i for i in items if isinstance(i, Rejected)]
    assert bad.file.endswith("reports.csv:2") and bad.study_id == "s1"
    assert "longer than 131,072 characters" in bad.reason
    assert [i.study_id for i in items if not isinstance(i, Rejected)] == ["s2"]


def test_csv_unterminated_quote_is_rejected_not_merged_into_the_next_row(tmp_path):
    items = csv_items(
        tmp_path,
        'study_id,report\ns1,"Lungs clear.\ns2,"No effusion."\ns3,Heart normal.\n',
    )
    bad = [i for i in items if isinstance(i, Rejected)]
    good = [i for i in items if not isinstance(i, Rejected)]
    assert [i.study_id for i in good] == ["s3"] and good[0].text == "Heart normal."
    assert len(bad) == 1 and bad[0].file.endswith("reports.csv:2-3") and bad[0].study_id == "s1"
    assert "quote" in bad[0].reason


def test_csv_quote_never_closed_rejects_the_rest_of_the_file_by_line(tmp_path):
    items = csv_items(tmp_path, 'study_id,report\ns0,ok\ns1,"Lungs clear.\ns2,No effusion.\n')
    assert [i.study_id for i in items if not isinstance(i, Rejected)] == ["s0"]
    (bad,) = [i for i in items if isinstance(i, Rejected)]
    assert bad.file.endswith("reports.csv:3-4") and "never closed" in bad.reason


def test_csv_row_with_too_many_fields_is_rejected(tmp_path):
    items = csv_items(tmp_path, "study_id,report\ns1,Lungs clear, no effusion.\n")
    (bad,) = items
    assert isinstance(bad, Rejected) and "3 fields, the header 2" in bad.reason


def test_csv_duplicate_study_ids_load_the_first_and_reject_the_second(tmp_path):
    items = csv_items(tmp_path, "study_id,report\ns1,Lungs clear.\ns1,Large effusion.\n")
    first, second = items
    assert not isinstance(first, Rejected) and first.text == "Lungs clear."
    assert isinstance(second, Rejected) and second.file.endswith("reports.csv:3")
    assert "reports.csv:2" in second.reason and second.field == "study_id"


def test_a_report_csv_with_a_traversal_study_id_is_rejected_end_to_end(store, tmp_path):
    from cxrkg.ingest.sources.reports import ingest_reports

    path = tmp_path / "r.csv"
    path.write_text(
        "study_id,patient_id,report\n"
        "../../x,p1,FINDINGS: No effusion.\n"
        "s2,p2,FINDINGS: No effusion.\n",
        encoding="utf-8",
    )
    report = ingest_reports(store, path, progress=False)
    assert report.loaded == ["s2"]
    (bad,) = report.rejected
    assert bad.field == "study_id" and bad.file.endswith("r.csv:2")


# -- found by the fuzz test -------------------------------------------------------------------
def test_an_indication_without_an_answer_is_stored(store, tmp_path):
    """FalkorDB ran the answer filter before creating the indication, and dropped it."""

    def no_answer(d: dict[str, Any]) -> None:
        d["indication"].pop("answer_for_indication", None)

    root = qba_tree(tmp_path, no_answer)
    report = ingest_qba(store, root, progress=False)
    assert sorted(report.loaded) == ["s50000001", "s50000002"], report.summary()
    for accepted in ingest_source(root):
        back = read_scene_graph(store, accepted.study_id)
        assert back.model_dump() == accepted.model_dump()
    assert read_scene_graph(store, BAD_ID).indication.answer_for_indication is None


def test_imagenome_studies_read_back_exactly_as_accepted(store):
    from cxrkg.ingest.sources.imagenome import ImaGenomeSource

    accepted = [g for g in ImaGenomeSource(DATA / "imagenome") if isinstance(g, SceneGraph)]
    ingest_imagenome(store, DATA / "imagenome", progress=False)
    for sg in accepted:
        assert sg.indication is not None
        assert read_scene_graph(store, sg.study_id).model_dump() == sg.model_dump()


def test_a_null_quality_criterion_reads_back_as_accepted(store, tmp_path):
    def null(d: dict[str, Any]) -> None:
        d["study_quality"]["change_quality"] = None

    root = qba_tree(tmp_path, null)
    ingest_qba(store, root, progress=False)
    accepted = next(g for g in ingest_source(root) if g.study_id == BAD_ID)
    # dropped, then taken from the study's observations as any left-out criterion is
    obs_values = {o.obs_quality.get("change_quality") for o in accepted.observations.values()}
    assert accepted.study_quality.get("change_quality") in obs_values
    assert read_scene_graph(store, BAD_ID).model_dump() == accepted.model_dump()


def test_a_region_relation_of_an_empty_type_reads_back(store, tmp_path):
    def empty(d: dict[str, Any]) -> None:
        d["region_region_relations"][0]["relation_type"] = ""

    root = qba_tree(tmp_path, empty)
    ingest_qba(store, root, progress=False)
    accepted = next(g for g in ingest_source(root) if g.study_id == BAD_ID)
    assert read_scene_graph(store, BAD_ID).model_dump() == accepted.model_dump()


def test_a_lone_surrogate_in_a_key_is_rejected_naming_the_escaped_key(store, tmp_path):
    def key(d: dict[str, Any]) -> None:
        d["images"]["\ud800"] = d["images"].pop("50000001-02-lateral")

    bad = the_rejection(ingest_qba(store, qba_tree(tmp_path, key), progress=False))
    assert bad.field == "images.\\ud800" and "surrogate" in bad.reason
