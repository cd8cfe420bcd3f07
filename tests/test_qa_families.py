"""Every question type on small hand-made studies whose right answers can be read off them.

Study s1 (patient p10000001): a moderate left pleural effusion with adjacent atelectasis
(child), no pneumothorax, an endotracheal tube, normal heart size, possible right lower
lobe pneumonia (uncertain, extraction issue level B) and a default "no pulmonary edema".
Study s2 is the same patient's next study: the effusion has improved, the tube is removed.
Study s3 is normal. Study s4 is rotated and has a skin fold artifact, nothing else.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cxrkg.ingest.load import load_scene_graphs
from cxrkg.ingest.model import SceneGraph
from cxrkg.qa_gen.generate import generate_batch

# Image ids are written as these placeholders and made unique per study in scene_graph().
PA, LAT = "@PA", "@LAT"
GOOD = {"region_quality": "RESOLVED_REGIONS_ONLY", "entity_quality": "RESOLVED_ENTITIES_ONLY",
        "sentence_name_quality": "NO_ISSUES", "change_quality": "NO_ISSUES",
        "issue_level": "NO_ISSUES", "localization_quality": "BBOX_LOCALIZATION"}
BOXES = {
    "lungs": [[100, 100, 900, 900]], "left lung": [[500, 100, 900, 900]],
    "right lung": [[100, 100, 500, 900]], "left lower lobe": [[500, 500, 900, 900]],
    "right lower lobe": [[100, 500, 500, 900]], "pleural space": [[90, 90, 910, 910]],
    "left pleural space": [[500, 90, 910, 910]], "right pleural space": [[90, 90, 500, 910]],
    "trachea": [[450, 20, 550, 300]], "heart": [[400, 450, 700, 800]],
}


def loc(region: str, image: str = PA) -> dict[str, Any]:
    return {image: {"image_id": image, "localization_reference_ids": [region],
                    "bboxes": BOXES[region], "localization_quality": "BBOX_LOCALIZATION"}}


def obs(obs_id: str, name: str, sentence: str | None, entities: list[str], regions: list[str],
        probability: str, *, cats: list[str] | None = None, subcats: list[str] | None = None,
        parents: list[str] | None = None, modifiers: dict[str, list[str]] | None = None,
        changes: list[str] | None = None, quality: dict[str, str] | None = None,
        from_report: bool = True, level: int = 0) -> dict[str, Any]:
    certainty, positiveness = {"positive": ("certain", "pos"), "negative": ("certain", "neg"),
                               "possible": ("uncertain", "pos")}[probability]
    localization: dict[str, Any] = {}
    for r in regions:
        for image, item in loc(r).items():
            localization.setdefault(image, {**item, "bboxes": [], "localization_reference_ids": []})
            localization[image]["bboxes"] += item["bboxes"]
            localization[image]["localization_reference_ids"].append(r)
    return {"obs_id": obs_id, "name": name, "summary_sentence": sentence, "child_level": level,
            "regions": [{"region": r} for r in regions], "obs_entities": entities,
            "obs_entities_parents": parents or [], "obs_categories": cats or ["ANATOMICAL_FINDING"],
            "obs_subcategories": subcats or [], "probability": probability,
            "certainty": certainty, "positiveness": positiveness,
            "modifiers": modifiers or {}, "changes": changes or [], "from_report": from_report,
            "obs_quality": {**GOOD, **(quality or {})}, "localization": localization}


def regions_block(names: list[str]) -> dict[str, Any]:
    lat = {"left": "left", "right": "right"}
    return {n: {"region": n, "laterality": lat.get(n.split()[0], "bilateral"),
                "localization": loc(n)} for n in names}


REGION_RELS = [
    {"region": "lungs", "related_region": "left lung", "relation_type": "sub_region"},
    {"region": "lungs", "related_region": "right lung", "relation_type": "sub_region"},
    {"region": "left lung", "related_region": "left lower lobe", "relation_type": "sub_region"},
    {"region": "right lung", "related_region": "right lower lobe", "relation_type": "sub_region"},
    {"region": "left lung", "related_region": "right lung", "relation_type": "right"},
    {"region": "pleural space", "related_region": "left pleural space", "relation_type": "sub_region"},
    {"region": "pleural space", "related_region": "right pleural space", "relation_type": "sub_region"},
    {"region": "left pleural space", "related_region": "right pleural space", "relation_type": "right"},
]


def scene_graph(sid: str, pid: str, order: int, observations: list[dict[str, Any]],
                children: dict[str, list[str]] | None = None,
                indication: dict[str, Any] | None = None,
                study_quality: dict[str, str] | None = None) -> SceneGraph:
    children = children or {}
    child_ids = {c for cs in children.values() for c in cs}
    all_obs = {o["obs_id"]: o for o in observations}
    located = [{"region": r["region"], "observation_id": o["obs_id"], "where_specified": "direct"}
               for o in observations for r in o["regions"]]
    sentences = {f"S{i + 1:02d}": {"sent_id": f"S{i + 1:02d}", "section": "FINDINGS",
                                   "sentence": o["summary_sentence"]}
                 for i, o in enumerate(observations) if o["summary_sentence"]}
    sent_of = {o["obs_id"]: f"S{i + 1:02d}" for i, o in enumerate(observations)
               if o["summary_sentence"]}
    data = {
        "patient_id": pid, "study_id": sid, "study_order": order,
        "sentences": sentences,
        "top_level_obs_ids": [o["obs_id"] for o in observations if o["obs_id"] not in child_ids],
        "observations": all_obs,
        "regions": regions_block(list(BOXES)),
        "located_at_relations": located,
        "obs_relations": [{"parent_observation_id": p, "child_observation_id": c,
                           "child_type": "associated_with"}
                          for p, cs in children.items() for c in cs],
        "obs_sent_relations": [{"observation_id": o, "sentence_id": s} for o, s in sent_of.items()],
        "region_region_relations": REGION_RELS,
        "study_quality": {**GOOD, **(study_quality or {})},
        "images": {PA: {"image_id": PA, "view_position": "PA", "width": 1000, "height": 1000},
                   LAT: {"image_id": LAT, "view_position": "LATERAL", "width": 1000,
                         "height": 1000}},
    }
    if indication:
        data["indication"] = indication
    text = json.dumps(data).replace(f'"{PA}"', f'"{sid}-pa"').replace(f'"{LAT}"', f'"{sid}-lat"')
    return SceneGraph.model_validate(json.loads(text))


def study_s1() -> SceneGraph:
    effusion = obs("O01", "moderate left pleural effusion", "There is a moderate left pleural effusion.",
                   ["pleural effusion"], ["left pleural space"], "positive", subcats=["PLEURA"],
                   modifiers={"severity": ["moderate"]})
    effusion["localization"][LAT] = {"image_id": LAT, "localization_reference_ids": ["left pleural space"],
                                     "bboxes": [[10, 20, 30, 40]], "localization_quality": "FALLBACK_LOCALIZATION",
                                     "is_fallback": True}
    atelectasis = obs("O01.01", "adjacent atelectasis", "There is adjacent atelectasis.",
                      ["atelectasis"], ["left lower lobe"], "positive", subcats=["LUNG_FIELD"],
                      parents=["lung opacity"], level=1)
    observations = [
        effusion, atelectasis,
        obs("O02", "no pneumothorax", "There is no pneumothorax.", ["pneumothorax"],
            ["pleural space"], "negative", subcats=["PLEURA"]),
        obs("O03", "endotracheal tube", "The endotracheal tube terminates 4 cm above the carina.",
            ["endotracheal tube"], ["trachea"], "positive", cats=["DEVICE"],
            subcats=["AIRWAY_TUBES"], parents=["support devices"]),
        obs("O04", "normal heart size", "The heart size is normal.", ["cardiomegaly"], ["heart"],
            "negative", subcats=["CARDIAC"]),
        obs("O05", "possible right lower lobe pneumonia", "There may be a right lower lobe pneumonia.",
            ["pneumonia"], ["right lower lobe"], "possible", cats=["DISEASE"],
            subcats=["INFECTION"], parents=["consolidation"], quality={"issue_level": "MOSTLY_INTERPRETABLE"}),
        obs("O06", "no pulmonary edema", None, ["pulmonary edema"], ["lungs"], "negative",
            subcats=["LUNG_FIELD"], quality={"region_quality": "DEFAULT_REGIONS_ONLY"},
            from_report=False),
    ]
    oind = obs("OIND", "tube in standard position", "The endotracheal tube is in standard position.",
               ["endotracheal tube"], ["trachea"], "positive", cats=["DEVICE"])
    indication = {"indication_summary": "Intubated patient; evaluate the tube position.",
                  "indication": "Intubated patient.", "evaluation": "Evaluate the tube position.",
                  "associated_obs_ids": ["O03"], "answer_for_indication": oind}
    return scene_graph("s50000001", "p10000001", 1, observations, {"O01": ["O01.01"]}, indication)


def study_s2() -> SceneGraph:
    observations = [
        obs("O01", "small left pleural effusion", "A small left pleural effusion remains.",
            ["pleural effusion"], ["left pleural space"], "positive", subcats=["PLEURA"],
            modifiers={"severity": ["small"]}, changes=["improved"]),
        obs("O02", "no pneumothorax", "There is no pneumothorax.", ["pneumothorax"],
            ["pleural space"], "negative", subcats=["PLEURA"]),
        obs("O03", "no endotracheal tube", "There is no endotracheal tube.",
            ["endotracheal tube"], ["trachea"], "negative", cats=["DEVICE"],
            subcats=["AIRWAY_TUBES"], changes=["removed"]),
    ]
    return scene_graph("s50000002", "p10000001", 2, observations)


def study_s3() -> SceneGraph:
    observations = [
        obs("O01", "no focal consolidation", "There is no focal consolidation.", ["consolidation"],
            ["lungs"], "negative", subcats=["LUNG_FIELD"]),
        obs("O02", "no pleural effusion", "There is no pleural effusion.", ["pleural effusion"],
            ["pleural space"], "negative", subcats=["PLEURA"]),
        obs("O03", "normal heart size", "The heart size is normal.", ["cardiomegaly"], ["heart"],
            "negative", subcats=["CARDIAC"]),
    ]
    return scene_graph("s50000003", "p10000003", 1, observations)


def study_s4() -> SceneGraph:
    observations = [
        obs("O01", "patient rotated", "The patient is rotated.", ["rotated"], ["lungs"],
            "positive", cats=["TECHNICAL_ASSESSMENT"], subcats=["IMAGE_QUALITY"]),
        obs("O02", "skin fold", "A skin fold projects over the left lung.", ["skin fold"],
            ["left lung"], "positive", cats=["TECHNICAL_ASSESSMENT"], subcats=["IMAGE_QUALITY"],
            parents=["artifact"]),
        obs("O03", "no pneumothorax", "There is no pneumothorax.", ["pneumothorax"],
            ["pleural space"], "negative", subcats=["PLEURA"]),
    ]
    return scene_graph("s50000004", "p10000004", 1, observations)


ALL = ["s50000001", "s50000002", "s50000003", "s50000004"]


@pytest.fixture()
def loaded(store):  # noqa: ANN001, ANN201
    load_scene_graphs(store, [study_s1(), study_s2(), study_s3(), study_s4()], progress=False)
    return store


@pytest.fixture()
def qa(loaded):  # noqa: ANN001, ANN201
    """Questions per study id."""
    return {item.study.study_id: item.questions for item in generate_batch(loaded, ALL, seed=0)}


def find(questions: list[dict[str, Any]], qtype: str, **variables: str) -> dict[str, Any]:
    hits = [q for q in questions if q["question_type"] == qtype
            and all(q["variables"].get(k) == v for k, v in variables.items())]
    assert len(hits) == 1, f"{qtype} {variables}: {len(hits)} questions"
    return hits[0]


def none_of(questions: list[dict[str, Any]], qtype: str, **variables: str) -> None:
    hits = [q for q in questions if q["question_type"] == qtype
            and all(q["variables"].get(k) == v for k, v in variables.items())]
    assert hits == [], f"{qtype} {variables} should not be asked"


def mains(q: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in q["answers"] if a["answer_type"] == "main_answer"]


def of_type(q: dict[str, Any], answer_type: str) -> list[dict[str, Any]]:
    return [a for a in q["answers"] if a["answer_type"] == answer_type]


def texts(answers: list[dict[str, Any]]) -> list[str]:
    return [a["text"] for a in answers]
