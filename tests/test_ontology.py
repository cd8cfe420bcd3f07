"""The bundled reference ontology: its content, the lookup API, exports, and validation."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
import rdflib

from cxrkg.ontology import Concept, load_ontology, normalize
from cxrkg.ontology.export import export_text, stats
from cxrkg.ontology.files import BUNDLED
from cxrkg.ontology.loader import clear_memory_cache
from cxrkg.ontology.owl_io import read_owl, render_owl
from cxrkg.ontology.validation import validate_concepts, validate_file

AUTHORING = BUNDLED.parent / "authoring"
IMAGENOME_OBJECTS = [
    "right lung",
    "right upper lung zone",
    "right mid lung zone",
    "right lower lung zone",
    "right hilar structures",
    "right apical zone",
    "right costophrenic angle",
    "right cardiophrenic angle",
    "right hemidiaphragm",
    "left lung",
    "left upper lung zone",
    "left mid lung zone",
    "left lower lung zone",
    "left hilar structures",
    "left apical zone",
    "left costophrenic angle",
    "left cardiophrenic angle",
    "left hemidiaphragm",
    "trachea",
    "spine",
    "right clavicle",
    "left clavicle",
    "aortic arch",
    "mediastinum",
    "upper mediastinum",
    "svc",
    "cardiac silhouette",
    "left cardiac silhouette",
    "right cardiac silhouette",
    "cavoatrial junction",
    "right atrium",
    "descending aorta",
    "carina",
    "left upper abdomen",
    "right upper abdomen",
    "abdomen",
]


@pytest.fixture(scope="module")
def onto():
    return load_ontology(BUNDLED)


@pytest.fixture(scope="module")
def concepts() -> list[Concept]:
    return read_owl(BUNDLED)[0]


def test_bundled_owl_has_at_least_230_findings_and_300_regions(onto) -> None:
    assert len(onto.findings) >= 230
    assert len(onto.regions) >= 300
    assert onto.version == load_ontology(BUNDLED).version and len(onto.version) == 16


def test_every_imagenome_attribute_is_a_finding_spelt_as_imagenome_spells_it(onto) -> None:
    from_imagenome = [
        c for c in onto.findings.values() if any(s.startswith("imagenome:") for s in c.sources)
    ]
    assert len(from_imagenome) == 77
    for name in (
        "lobar/segmental collapse",
        "mass/nodule (not otherwise specified)",
        "swan-ganz catheter",
        "increased reticular markings/ild pattern",
        "diaphragmatic eventration (benign)",
        "linear/patchy atelectasis",
        "enlarged cardiac silhouette",
        "costophrenic angle blunting",
        "vascular congestion",
    ):
        assert name in onto.findings
    chexpert = {c.name for c in onto.findings.values() if "chexpert" in c.sources}
    assert {
        "no finding",
        "pulmonary edema",
        "support devices",
        "pleural other",
        "enlarged cardiomediastinum",
        "fracture",
    } <= chexpert and len(chexpert) == 14


def test_every_cxas_class_and_imagenome_object_is_a_region(onto) -> None:
    lines = (AUTHORING / "cxas_classes.txt").read_text().splitlines()
    cxas = [ln.split("|", 1)[1].strip() for ln in lines if ln and not ln.startswith("#")]
    assert len(cxas) == 159
    missing = [n for n in cxas if onto.region(n) is None]
    assert missing == []
    assert onto.region("lung upper lobe right").name == "right upper lobe"
    for name in IMAGENOME_OBJECTS:
        assert onto.regions[name].has_box, name
    assert not onto.regions["interstitium"].has_box
    assert not onto.regions["pleural space"].has_box


def test_lookup_ignores_case_punctuation_and_plurals(onto) -> None:
    assert onto.get("Pleural Effusions").name == "pleural effusion"
    assert onto.get("pleural-effusion").name == "pleural effusion"
    assert onto.get("Blunting of the costophrenic angles").name == "costophrenic angle blunting"
    assert onto.get("lobar segmental collapse").name == "lobar/segmental collapse"
    assert onto.finding("Consolidations").name == "consolidation"
    assert onto.region("Left Lower Lung Zone").name == "left lower lung zone"
    assert onto.get("not a radiology word") is None
    assert normalize("Pleural-Effusions") == "pleural effusion"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("ETT", "endotracheal tube"),
        ("NGT", "enteric tube"),
        ("PICC", "picc"),
        ("CVC", "central venous catheter"),
        ("IJ", "ij line"),
        ("CHF", "fluid overload/heart failure"),
        ("COPD", "copd/emphysema"),
        ("ARDS", "respiratory distress"),
        ("ptx", "pneumothorax"),
    ],
)
def test_radiology_abbreviations_find_their_finding(onto, text: str, name: str) -> None:
    assert onto.finding(text).name == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("SVC", "svc"),
        ("bibasilar", "lung bases"),
        ("retrocardiac", "retrocardiac region"),
        ("lung bases", "lung bases"),
        ("RLL", "right lower lobe"),
        ("right base", "right lower lung zone"),
    ],
)
def test_region_surface_forms_find_their_region(onto, text: str, name: str) -> None:
    assert onto.region(text).name == name


def test_consolidation_is_a_lung_opacity_with_ancestors_nearest_first(onto) -> None:
    assert onto.parents("consolidation") == ["airspace opacity"]
    assert onto.ancestors("consolidation") == ["airspace opacity", "lung opacity"]
    assert "consolidation" in onto.descendants("lung opacity")
    assert "pneumonia" in onto.children("consolidation")
    assert onto.category_of("consolidation") == ("ANATOMICAL_FINDING", "DISEASE")
    assert onto.finding("consolidation").subcategories == (
        "INFECTION",
        "LUNG_FIELD",
        "PULMONARY_DISEASES",
    )


# What a radiologist reviewing QA made from the IU reports found mapped or classed wrongly.
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("surgical clips", "surgical clips"),
        ("mediastinal clips", "surgical clips"),
        ("sutures", "suture material"),
        ("thoracotomy", "thoracotomy"),
        ("lobectomy", "lung surgery"),
        ("geode", "bone lesion"),
        ("lucent lesion", "bone lesion"),
        ("hyperlucent lungs", "hyperlucent lung"),
        ("bullous disease", "bullae"),
        ("bulla", "bullae"),
        ("reticular-nodular opacities", "reticulonodular interstitial pattern"),
    ],
)
def test_review_wordings_find_the_concept_a_radiologist_means(onto, text: str, name: str) -> None:
    assert onto.finding(text).name == name


def test_lines_and_catheters_are_not_tubes(onto) -> None:
    for line in ("picc", "central venous catheter", "catheter", "chest port", "swan-ganz catheter"):
        assert "tube" not in onto.ancestors(line), line
        assert "support devices" in onto.ancestors(line) or line == "catheter"
    assert "tube" in onto.ancestors("endotracheal tube")


def test_clips_thoracotomy_bone_lesions_and_bullae_sit_under_the_right_parents(onto) -> None:
    assert "surgical clips" in onto.ancestors("cholecystectomy clips")
    assert "suture material" not in onto.ancestors("cholecystectomy clips")
    assert onto.ancestors("thoracotomy") == ["surgery"]
    assert "LUNG_FIELD" not in onto.finding("thoracotomy").subcategories
    assert "lung lesion" not in onto.ancestors("bullae")
    assert "lung lesion" not in onto.ancestors("cyst/bullae")
    assert "lung lesion" not in onto.ancestors("bone lesion")
    # a lucency is anywhere (bone, lung, under the diaphragm): not a lung finding by itself
    assert onto.finding("lucency").subcategories == ()
    assert "LUNG_FIELD" in onto.finding("hyperlucent lung").subcategories


def test_neoplasm_is_a_subcategory_of_neoplasm_like_findings_only(onto) -> None:
    for name in ("lung lesion", "mass/nodule (not otherwise specified)", "nodule", "bullae"):
        assert "NEOPLASM" not in onto.finding(name).subcategories, name
    for name in ("mass", "pulmonary mass", "lung cancer", "lung metastasis", "bone metastasis"):
        assert "NEOPLASM" in onto.finding(name).subcategories, name


def test_edema_interstitial_patterns_and_hyperinflation_are_signs_of_pulmonary_disease(
    onto,
) -> None:
    for name in (
        "pulmonary edema",
        "increased reticular markings/ild pattern",
        "hyperaeration",
        "bullae",
        "chronic changes",
    ):
        assert "PULMONARY_DISEASES" in onto.finding(name).subcategories, name


def test_regions_have_part_of_laterality_counterparts_and_composites(onto) -> None:
    left = onto.regions["left costophrenic angle"]
    assert left.laterality == "left" and left.counterpart == "right costophrenic angle"
    assert onto.counterpart("right costophrenic angle") == "left costophrenic angle"
    assert "costophrenic angles" in onto.ancestors("left costophrenic angle")
    assert onto.regions["lungs"].composite == ("union", ("left lung", "right lung"))
    assert onto.regions["lungs"].laterality == "bilateral"
    assert onto.regions["mediastinum"].composite == (
        "superbox",
        ("cardiac silhouette", "upper mediastinum"),
    )
    assert onto.regions["retrocardiac region"].composite[0] == "intersection"
    assert "left lung" in onto.descendants("lungs")


def test_findings_carry_default_regions_devices_and_sourced_codes(onto) -> None:
    eff = onto.findings["pleural effusion"]
    assert set(eff.default_regions) == {"pleural space", "costophrenic angles"}
    assert eff.codes["SNOMEDCT"] == "60046008" and eff.codes["UMLS"].startswith("C")
    assert "PadChest" in eff.code_sources["UMLS"]
    assert onto.findings["endotracheal tube"].is_device
    assert not onto.findings["pneumothorax"].is_device
    assert onto.regions["left lung"].codes["CXAS"] == "136"


def test_lexicon_maps_every_label_and_synonym_to_its_concept(onto) -> None:
    lex = onto.lexicon("finding")
    for c in onto.findings.values():
        for form in c.surface_forms:
            assert lex[normalize(form)] is c, form
    assert onto.lexicon() is onto.lexicon()  # built once
    assert onto.lexicon("region")[normalize("bibasilar")].name == "lung bases"


def test_warm_load_is_served_from_the_cache_without_parsing_the_owl_file(monkeypatch) -> None:
    cold = load_ontology(BUNDLED)
    clear_memory_cache()

    def no_parse(path):  # noqa: ANN001, ANN202 - a warm load must not get here
        raise AssertionError(f"the OWL file {path} was parsed again")

    monkeypatch.setattr("cxrkg.ontology.owl_io.read_owl", no_parse)
    warm = load_ontology(BUNDLED)  # from the JSON cache on disk
    assert warm is not cold and warm.version == cold.version
    assert warm.findings == cold.findings and warm.regions == cold.regions
    assert load_ontology(BUNDLED) is warm  # and then from memory


def test_value_sets_name_findings_regions_categories_and_values(onto) -> None:
    vs = onto.value_sets()
    assert "consolidation" in vs["findings"] and "left lung" in vs["regions"]
    assert {
        "ANATOMICAL_FINDING",
        "DISEASE",
        "DEVICE",
        "TUBES_AND_LINES",
        "TECHNICAL_ASSESSMENT",
    } <= set(vs["categories"])
    assert {"LUNG_FIELD", "PULMONARY_DISEASES", "INFECTION", "CARDIAC", "PLEURA", "BONES"} <= set(
        vs["subcategories"]
    )
    assert "severity" in vs["modifiers"] and "resolved" in vs["changes"]
    assert vs["answer_types"] == ["main_answer", "details", "related_information"]


def test_owl_file_is_written_deterministically_so_it_round_trips_byte_for_byte(concepts) -> None:
    _concepts, meta = read_owl(BUNDLED)
    assert render_owl(concepts, meta) == BUNDLED.read_text(encoding="utf-8")


def test_turtle_export_has_classes_subclass_axioms_and_skos_labels(onto) -> None:
    graph = rdflib.Graph().parse(data=export_text(onto, "ttl"), format="turtle")
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    cons = rdflib.URIRef(onto.findings["consolidation"].iri)
    airspace = rdflib.URIRef(onto.findings["airspace opacity"].iri)
    assert (cons, rdflib.RDF.type, rdflib.OWL.Class) in graph
    assert (cons, rdflib.RDFS.subClassOf, airspace) in graph
    assert (cons, skos.prefLabel, rdflib.Literal("consolidation", lang="en")) in graph
    classes = set(graph.subjects(rdflib.RDF.type, rdflib.OWL.Class))
    assert len(classes) == len(onto.findings) + len(onto.regions) + 2  # + the two roots


def test_a_turtle_export_loads_back_as_the_same_ontology(onto, tmp_path: Path) -> None:
    ttl = tmp_path / "cxrkg.ttl"
    ttl.write_text(export_text(onto, "ttl"), encoding="utf-8")
    again = load_ontology(ttl)
    assert again.findings == onto.findings and again.regions == onto.regions
    assert export_text(again, "owl") == BUNDLED.read_text(encoding="utf-8")


def test_turtle_export_carries_the_value_sets_as_skos_schemes(onto) -> None:
    graph = rdflib.Graph().parse(data=export_text(onto, "ttl"), format="turtle")
    rows = graph.query(
        """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX cx: <http://cxrkg.org/ontology#>
        SELECT ?grade WHERE { ?s skos:prefLabel "quality issue_level"@en .
          ?v skos:inScheme ?s ; skos:notation "NON_INTERPRETABLE" ; cx:maxGrade ?grade }"""
    )
    assert [str(r[0]) for r in rows] == ["C"]
    probable = graph.query(
        """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX cx: <http://cxrkg.org/ontology#>
        SELECT ?c WHERE { ?v skos:notation "probable" ; cx:certainty ?c }"""
    )
    assert [str(r[0]) for r in probable] == ["likely"]


def test_csv_and_json_exports_list_every_concept(onto) -> None:
    rows = list(csv.DictReader(io.StringIO(export_text(onto, "csv"))))
    assert len(rows) == len(onto.findings) + len(onto.regions)
    picc = next(r for r in rows if r["name"] == "picc")
    assert "peripherally inserted central catheter" in picc["synonyms"].split("|")
    data = json.loads(export_text(onto, "json"))
    assert len(data["regions"]) == len(onto.regions) and data["version"] == onto.version


def test_stats_count_concepts_per_category_depth_and_synonyms(onto) -> None:
    s = stats(onto)
    assert s["findings"]["concepts"] == len(onto.findings)
    assert s["findings"]["categories"]["TUBES_AND_LINES"] >= 12
    assert s["findings"]["max_depth"] >= 3 and s["findings"]["synonyms"] > 1000
    assert s["regions"]["with_box"] >= 200 and s["regions"]["composites"]["union"] > 10


# ------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------
def test_bundled_ontology_is_consistent_under_hermit_and_structurally_valid() -> None:
    report = validate_file(BUNDLED, reasoner=True)  # the one HermiT run of the suite
    assert report.reasoner == "consistent", report.summary()
    assert report.ok and report.problems == []


def test_without_java_the_structural_checks_still_run(monkeypatch, tmp_path: Path) -> None:
    from cxrkg.ontology import validation

    monkeypatch.setattr(validation.shutil, "which", lambda name: None)
    report = validate_file(BUNDLED, reasoner=True)
    assert report.reasoner.startswith("skipped: Java is not installed")
    assert report.ok


def _plant(concepts: list[Concept], kind: str, name: str, **changes: object) -> list[Concept]:
    return [replace(c, **changes) if (c.kind, c.name) == (kind, name) else c for c in concepts]


@pytest.mark.parametrize(
    ("check", "defect", "named"),
    [
        (
            "cycle",
            ("finding", "lung opacity", {"parents": ("consolidation",)}),
            ["lung opacity", "consolidation", "airspace opacity"],
        ),
        ("cycle", ("region", "lungs", {"parents": ("left lung",)}), ["lungs", "left lung"]),
        (
            "shared-synonym",
            ("finding", "pneumothorax", {"synonyms": ("effusion",)}),
            ["pneumothorax", "pleural effusion"],
        ),
        (
            "composite",
            ("region", "lungs", {"composite": ("union", ("left lung", "third lung"))}),
            ["lungs", "third lung"],
        ),
        ("category", ("finding", "atelectasis", {"categories": ()}), ["atelectasis"]),
        (
            "counterpart",
            ("region", "left lung", {"counterpart": "left hemithorax"}),
            ["left lung", "left hemithorax"],
        ),
        (
            "reference",
            ("finding", "pleural effusion", {"default_regions": ("moon",)}),
            ["pleural effusion", "moon"],
        ),
    ],
)
def test_each_structural_check_catches_a_planted_defect(
    concepts, check: str, defect, named
) -> None:
    assert validate_concepts(concepts) == []
    kind, name, changes = defect
    problems = [
        p for p in validate_concepts(_plant(concepts, kind, name, **changes)) if p.check == check
    ]
    assert problems, f"the {check} check missed {defect}"
    text = " ".join(str(p) for p in problems)
    for n in named:
        assert repr(n) in text or n in text, (n, text)


def test_a_form_that_is_both_a_finding_and_a_region_is_a_warning_naming_both(concepts) -> None:
    planted = _plant(concepts, "region", "pleural space", synonyms=("effusion",))
    [warning] = [p for p in validate_concepts(planted) if p.severity == "warning"]
    assert warning.concepts == ("pleural effusion", "pleural space")


def test_a_planted_defect_in_an_owl_file_fails_validation(concepts, tmp_path: Path) -> None:
    broken = _plant(concepts, "finding", "atelectasis", parents=("linear/patchy atelectasis",))
    path = tmp_path / "broken.owl"
    path.write_text(render_owl(broken, {}), encoding="utf-8")
    report = validate_file(path, reasoner=False)
    assert not report.ok
    assert any(p.check == "cycle" and "atelectasis" in p.concepts for p in report.errors)


def test_quality_codes_read_codes_names_and_whole_floats_and_refuse_the_rest() -> None:
    from cxrkg.ontology.values import EXTRACTION_CRITERIA, quality_code

    criterion, options = next(iter(EXTRACTION_CRITERIA.items()))
    second = options[1]
    for _ in range(2):  # the second round answers from the cache: the same answers
        assert quality_code(criterion, second.name) == second.code
        assert quality_code(criterion, second.code) == second.code
        assert quality_code(criterion, float(second.code)) == second.code
        assert quality_code(criterion, None) is None
        # True hashes like 1, but is not a quality value, cached or not
        assert quality_code(criterion, 1) == 1
        for bad in (True, [1], 99, "NO_SUCH_OPTION"):
            with pytest.raises(ValueError, match="region_extract_quality"):
                quality_code(criterion, bad)
