"""Author the first edition of ontology/cxrkg.owl from the tables in this folder.

Run once by the ontology's authors (`python ontology/authoring/build.py`); afterwards the OWL
file is canonical and clinicians change it through `cxrkg.ontology.curation`, never here.
Re-running overwrites the OWL file and would drop curated edits (it refuses unless --force).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from cxrkg.ontology.model import Concept, normalize
from cxrkg.ontology.owl_io import canonical, new_iri, render_owl
from cxrkg.ontology.validation import validate_concepts

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "cxrkg.owl"

META = {
    "title": "cxrkg reference ontology of chest X-ray findings and anatomy",
    "description": (
        "Findings (Chest ImaGenome attributes, CheXpert labels, PadChest radiographic findings "
        "and devices) and anatomical regions (Chest ImaGenome objects, CXAS/PAX-Ray++ classes, "
        "composite and non-localized regions) with synonyms, hierarchies, categories, default "
        "regions and external codes. Written by the cxrkg authors from public vocabularies; "
        "curated by clinicians through cxrkg's curation library."
    ),
    "version": "1.0",
    "source": "Chest ImaGenome v1.0.0; CheXpert; PadChest (torchxrayvision 1.5.7 label file); "
    "CXAS 0.0.20 paxray_labels.json; SNOMED CT and RadLex identifiers where known",
}

IMAGENOME_ATTRIBUTES = {
    "anatomicalfinding": [
        "lung opacity",
        "airspace opacity",
        "consolidation",
        "infiltration",
        "atelectasis",
        "linear/patchy atelectasis",
        "lobar/segmental collapse",
        "pulmonary edema/hazy opacity",
        "vascular congestion",
        "vascular redistribution",
        "increased reticular markings/ild pattern",
        "pleural effusion",
        "costophrenic angle blunting",
        "pleural/parenchymal scarring",
        "bronchiectasis",
        "enlarged cardiac silhouette",
        "mediastinal displacement",
        "mediastinal widening",
        "enlarged hilum",
        "tortuous aorta",
        "vascular calcification",
        "pneumomediastinum",
        "pneumothorax",
        "hydropneumothorax",
        "lung lesion",
        "mass/nodule (not otherwise specified)",
        "multiple masses/nodules",
        "calcified nodule",
        "superior mediastinal mass/enlargement",
        "rib fracture",
        "clavicle fracture",
        "spinal fracture",
        "hyperaeration",
        "cyst/bullae",
        "elevated hemidiaphragm",
        "diaphragmatic eventration (benign)",
        "sub-diaphragmatic air",
        "subcutaneous air",
        "hernia",
        "scoliosis",
        "spinal degenerative changes",
        "shoulder osteoarthritis",
        "bone lesion",
    ],
    "nlp": ["abnormal", "normal"],
    "disease": [
        "pneumonia",
        "fluid overload/heart failure",
        "copd/emphysema",
        "granulomatous disease",
        "interstitial lung disease",
        "goiter",
        "lung cancer",
        "aspiration",
        "alveolar hemorrhage",
        "pericardial effusion",
    ],
    "technicalassessment": [
        "low lung volumes",
        "rotated",
        "artifact",
        "breast/nipple shadows",
        "skin fold",
    ],
    "tubesandlines": [
        "chest tube",
        "mediastinal drain",
        "pigtail catheter",
        "endotracheal tube",
        "tracheostomy tube",
        "picc",
        "ij line",
        "chest port",
        "subclavian line",
        "swan-ganz catheter",
        "intra-aortic balloon pump",
        "enteric tube",
    ],
    "devices": [
        "sternotomy wires",
        "cabg grafts",
        "aortic graft/repair",
        "prosthetic valve",
        "cardiac pacer and wires",
    ],
}
CHEXPERT = {
    "No Finding": "no finding",
    "Enlarged Cardiomediastinum": "enlarged cardiomediastinum",
    "Cardiomegaly": "cardiomegaly",
    "Lung Opacity": "lung opacity",
    "Lung Lesion": "lung lesion",
    "Edema": "pulmonary edema",
    "Consolidation": "consolidation",
    "Pneumonia": "pneumonia",
    "Atelectasis": "atelectasis",
    "Pneumothorax": "pneumothorax",
    "Pleural Effusion": "pleural effusion",
    "Pleural Other": "pleural other",
    "Fracture": "fracture",
    "Support Devices": "support devices",
}
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
IMAGENOME_TEXT_ONLY = [
    "left chest wall",
    "right chest wall",
    "left breast",
    "right breast",
    "left arm",
    "right arm",
    "left shoulder",
    "right shoulder",
    "neck",
]
# Identifiers the authors are confident of; the UMLS CUIs come from the PadChest file.
CURATED_CODES: dict[str, dict[str, str]] = {
    "pleural effusion": {"SNOMEDCT": "60046008", "RADLEX": "RID34539"},
    "pneumothorax": {"SNOMEDCT": "36118008", "RADLEX": "RID5352"},
    "atelectasis": {"SNOMEDCT": "46621007", "RADLEX": "RID28493"},
    "consolidation": {"SNOMEDCT": "95436008", "RADLEX": "RID43255"},
    "cardiomegaly": {"SNOMEDCT": "8186001"},
    "pneumonia": {"SNOMEDCT": "233604007"},
    "pulmonary edema": {"SNOMEDCT": "19242006"},
    "emphysema": {"SNOMEDCT": "87433001"},
    "copd/emphysema": {"SNOMEDCT": "13645005"},
    "bronchiectasis": {"SNOMEDCT": "12295008"},
    "scoliosis": {"SNOMEDCT": "298382003"},
    "kyphosis": {"SNOMEDCT": "414564002"},
    "hiatal hernia": {"SNOMEDCT": "84089009"},
    "tuberculosis": {"SNOMEDCT": "56717001"},
    "pericardial effusion": {"SNOMEDCT": "373945007"},
    "fluid overload/heart failure": {"SNOMEDCT": "84114007"},
    "pulmonary fibrosis": {"SNOMEDCT": "51615001"},
    "rib fracture": {"SNOMEDCT": "33737001"},
    "goiter": {"SNOMEDCT": "3716002"},
    "pulmonary hypertension": {"SNOMEDCT": "70995007"},
    "aortic aneurysm": {"SNOMEDCT": "67362008"},
    "dextrocardia": {"SNOMEDCT": "27637000"},
}
# PadChest labels that are not findings: a change value and an annotation marker.
PADCHEST_NOT_FINDINGS = {"unchanged", "exclude"}
ORDINALS = ["1st", "2nd", "3rd"] + [f"{i}th" for i in range(4, 13)]


def _split(cell: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in cell.split(";") if x.strip())


def _rows(name: str, width: int) -> list[list[str]]:
    rows = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) != width:
            raise SystemExit(f"{name}: expected {width} cells, got {len(cells)}: {line!r}")
        rows.append(cells)
    return rows


def _pairs(name: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in _rows(name, 2)]


def findings() -> list[Concept]:
    out = []
    for name, parents, cats, subs, regions, syns in _rows("findings.txt", 6):
        categories = _split(cats)
        out.append(
            Concept(
                name=name,
                kind="finding",
                label=name,
                synonyms=_split(syns),
                parents=_split(parents),
                categories=categories,
                subcategories=_split(subs),
                default_regions=_split(regions),
                is_device=bool({"DEVICE", "TUBES_AND_LINES"} & set(categories)),
            )
        )
    return out


def regions() -> list[Concept]:
    out = []
    for name, parents, cat, box, comp, syns in _rows("regions.txt", 6):
        composite = None
        if comp:
            op, _, parts = comp.partition(":")
            composite = (op.strip(), tuple(p.strip() for p in parts.split("+")))
        out.append(
            Concept(
                name=name,
                kind="region",
                label=name,
                synonyms=_split(syns),
                parents=_split(parents),
                categories=(cat,),
                has_box=box == "y",
                composite=composite,
            )
        )
    # CXAS vertebrae and ribs.
    for group, prefix, count in (
        ("cervical spine", "C", 7),
        ("thoracic spine", "T", 12),
        ("lumbar spine", "L", 5),
    ):
        for i in range(1, count + 1):
            v = f"{prefix}{i}"
            out.append(
                Concept(
                    name=f"{v.lower()} vertebra",
                    kind="region",
                    label=f"{v} vertebra",
                    synonyms=(f"vertebrae {v}", v, f"{v} vertebral body", f"{v} level"),
                    parents=(group,),
                    categories=("BONES",),
                    has_box=True,
                )
            )
    for i, ord_ in enumerate(ORDINALS, start=1):
        positions = ("posterior",) if i == 12 else ("anterior", "posterior")
        for pos in positions:
            both = "12th ribs" if i == 12 else f"{pos} {ord_} ribs"
            for side in ("right", "left"):
                syns = [f"{pos} {ord_} rib {side}", f"{side} {ord_} {pos} rib"]
                parents = [both, f"{side} ribs"] if i == 12 else [both, f"{side} {ord_} rib"]
                if i == 12:
                    syns.append(f"{side} 12th rib")
                out.append(
                    Concept(
                        name=f"{side} {pos} {ord_} rib",
                        kind="region",
                        label=f"{side} {pos} {ord_} rib",
                        synonyms=tuple(syns),
                        parents=tuple(parents),
                        categories=("BONES",),
                        has_box=True,
                    )
                )
            out.append(
                Concept(
                    name=both,
                    kind="region",
                    label=both,
                    synonyms=("12th rib", "bilateral 12th ribs")
                    if i == 12
                    else (f"{pos} {ord_} rib", f"bilateral {pos} {ord_} ribs"),
                    parents=(f"{pos} ribs",),
                    categories=("BONES",),
                    has_box=True,
                    composite=("union", (f"left {pos} {ord_} rib", f"right {pos} {ord_} rib")),
                )
            )
        if i < 12:
            for side in ("right", "left"):
                out.append(
                    Concept(
                        name=f"{side} {ord_} rib",
                        kind="region",
                        label=f"{side} {ord_} rib",
                        synonyms=(f"{ord_} rib {side}", f"{side} {ord_} costa"),
                        parents=(f"{side} ribs",),
                        categories=("BONES",),
                        has_box=True,
                        composite=(
                            "union",
                            (f"{side} anterior {ord_} rib", f"{side} posterior {ord_} rib"),
                        ),
                    )
                )
    return out


def _side(name: str) -> str | None:
    words = set(name.split())
    if "left" in words and "right" not in words:
        return "left"
    if "right" in words and "left" not in words:
        return "right"
    return None


def finish(concepts: list[Concept]) -> list[Concept]:
    """Derived facts: IRIs, laterality, counterparts, sources and codes."""
    by_kind = {k: {c.name: c for c in concepts if c.kind == k} for k in ("finding", "region")}
    lex: dict[str, dict[str, str]] = {k: {} for k in by_kind}
    for kind, pool in by_kind.items():
        for c in pool.values():
            for s in c.surface_forms:
                lex[kind].setdefault(normalize(s), c.name)
    extra: dict[tuple[str, str], dict] = {}

    def note(kind: str, name: str, **kw: object) -> None:
        slot = extra.setdefault(
            (kind, name), {"sources": set(), "codes": {}, "code_sources": {}, "synonyms": set()}
        )
        for key, value in kw.items():
            if key == "source":
                slot["sources"].add(value)
            elif key == "synonym":
                slot["synonyms"].add(value)
            elif key == "code":
                system, code, origin = value  # type: ignore[misc]
                slot["codes"].setdefault(system, code)
                slot["code_sources"].setdefault(system, origin)

    missing: list[str] = []
    for cat, names in IMAGENOME_ATTRIBUTES.items():
        for n in names:
            if n not in by_kind["finding"]:
                missing.append(f"ImaGenome attribute {n!r}")
            note("finding", n, source=f"imagenome:{cat}")
    for label, n in CHEXPERT.items():
        if n not in by_kind["finding"]:
            missing.append(f"CheXpert label {label!r} -> {n!r}")
        note("finding", n, source="chexpert", synonym=label)
    for n in IMAGENOME_OBJECTS:
        note("region", n, source="imagenome")
    for n in IMAGENOME_TEXT_ONLY:
        note("region", n, source="imagenome:text")
    for label, cui in _pairs("padchest_labels.txt"):
        if label in PADCHEST_NOT_FINDINGS:
            continue
        target = lex["finding"].get(normalize(label))
        if target is None:
            missing.append(f"PadChest label {label!r}")
            continue
        note("finding", target, source="padchest")
        if cui:
            note("finding", target, code=("UMLS", cui, f"PadChest labelCUIS ({label})"))
    for loc, cui in _pairs("padchest_localizations.txt"):
        target = lex["region"].get(normalize(loc.removeprefix("loc ")))
        if target is None:
            continue  # laterality/extent qualifiers; `cxrkg ontology coverage` lists them
        note("region", target, source="padchest")
        if cui:
            note("region", target, code=("UMLS", cui, f"PadChest LocalizationsCUIS ({loc})"))
    for idx, cxas in _pairs("cxas_classes.txt"):
        target = lex["region"].get(normalize(cxas))
        if target is None:
            missing.append(f"CXAS class {cxas!r}")
            continue
        note("region", target, source="cxas", code=("CXAS", idx, f"CXAS paxray_labels ({cxas})"))
    for n, codes in CURATED_CODES.items():
        for system, code in codes.items():
            note("finding", n, code=(system, code, "cxrkg authors"))
    if missing:
        raise SystemExit("not in the tables:\n  " + "\n  ".join(missing))

    out: list[Concept] = []
    taken: set[str] = set()
    for c in concepts:
        iri = new_iri(c.name, c.kind, taken)
        taken.add(iri)
        slot = extra.get((c.kind, c.name), {})
        laterality = counterpart = None
        if c.kind == "region":
            laterality = _side(c.name)
            if c.composite:
                sides = {_side(p) for p in c.composite[1]}
                if sides == {"left", "right"}:
                    laterality = "bilateral"
            if laterality in ("left", "right"):
                other = " ".join(
                    {"left": "right", "right": "left"}.get(w, w) for w in c.name.split()
                )
                counterpart = other if other in by_kind["region"] else None
        synonyms = set(c.synonyms) | set(slot.get("synonyms", ()))
        out.append(
            canonical(
                replace(
                    c,
                    iri=iri,
                    laterality=laterality,
                    counterpart=counterpart,
                    synonyms=tuple(s for s in synonyms if normalize(s) != normalize(c.name)),
                    sources=tuple(slot.get("sources", ())),
                    codes=dict(slot.get("codes", {})),
                    code_sources=dict(slot.get("code_sources", {})),
                )
            )
        )
    return out


def main(argv: list[str]) -> int:
    if OUT.exists() and "--force" not in argv:
        print(f"{OUT} exists and is canonical; pass --force to overwrite it from the tables")
        return 1
    concepts = finish(findings() + regions())
    problems = validate_concepts(concepts)
    for p in problems:
        print(p.severity, p)
    if any(p.severity == "error" for p in problems):
        return 2
    OUT.write_text(render_owl(concepts, META), encoding="utf-8")
    nf = sum(c.kind == "finding" for c in concepts)
    print(f"wrote {OUT}: {nf} findings, {len(concepts) - nf} regions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
