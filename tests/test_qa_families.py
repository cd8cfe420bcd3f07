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
from cxrkg.ingest.model import ComparisonRelation, SceneGraph
from cxrkg.qa_gen.answers import walk
from cxrkg.qa_gen.generate import StudyQA, generate_batch, generate_qa
from cxrkg.qa_gen.sampling import DEVICE_REGIONS

# Image ids are written as these placeholders and made unique per study in scene_graph().
PA, LAT = "@PA", "@LAT"
GOOD = {
    "region_quality": "RESOLVED_REGIONS_ONLY",
    "entity_quality": "RESOLVED_ENTITIES_ONLY",
    "sentence_name_quality": "NO_ISSUES",
    "change_quality": "NO_ISSUES",
    "issue_level": "NO_ISSUES",
    "localization_quality": "BBOX_LOCALIZATION",
}
BOXES = {
    "lungs": [[100, 100, 900, 900]],
    "left lung": [[500, 100, 900, 900]],
    "right lung": [[100, 100, 500, 900]],
    "left lower lobe": [[500, 500, 900, 900]],
    "right lower lobe": [[100, 500, 500, 900]],
    "pleural space": [[90, 90, 910, 910]],
    "left pleural space": [[500, 90, 910, 910]],
    "right pleural space": [[90, 90, 500, 910]],
    "trachea": [[450, 20, 550, 300]],
    "heart": [[400, 450, 700, 800]],
}


def loc(region: str, image: str = PA) -> dict[str, Any]:
    return {
        image: {
            "image_id": image,
            "localization_reference_ids": [region],
            "bboxes": BOXES[region],
            "localization_quality": "BBOX_LOCALIZATION",
        }
    }


def obs(
    obs_id: str,
    name: str,
    sentence: str | None,
    entities: list[str],
    regions: list[str],
    probability: str,
    *,
    cats: list[str] | None = None,
    subcats: list[str] | None = None,
    parents: list[str] | None = None,
    modifiers: dict[str, list[str]] | None = None,
    changes: list[str] | None = None,
    quality: dict[str, str] | None = None,
    from_report: bool = True,
    level: int = 0,
) -> dict[str, Any]:
    certainty, positiveness = {
        "positive": ("certain", "pos"),
        "negative": ("certain", "neg"),
        "possible": ("uncertain", "pos"),
    }[probability]
    localization: dict[str, Any] = {}
    for r in regions:
        for image, item in loc(r).items():
            localization.setdefault(image, {**item, "bboxes": [], "localization_reference_ids": []})
            localization[image]["bboxes"] += item["bboxes"]
            localization[image]["localization_reference_ids"].append(r)
    return {
        "obs_id": obs_id,
        "name": name,
        "summary_sentence": sentence,
        "child_level": level,
        "regions": [{"region": r} for r in regions],
        "obs_entities": entities,
        "obs_entities_parents": parents or [],
        "obs_categories": cats or ["ANATOMICAL_FINDING"],
        "obs_subcategories": subcats or [],
        "probability": probability,
        "certainty": certainty,
        "positiveness": positiveness,
        "modifiers": modifiers or {},
        "changes": changes or [],
        "from_report": from_report,
        "obs_quality": {**GOOD, **(quality or {})},
        "localization": localization,
    }


def regions_block(names: list[str]) -> dict[str, Any]:
    lat = {"left": "left", "right": "right"}
    return {
        n: {"region": n, "laterality": lat.get(n.split()[0], "bilateral"), "localization": loc(n)}
        for n in names
    }


REGION_RELS = [
    {"region": "lungs", "related_region": "left lung", "relation_type": "sub_region"},
    {"region": "lungs", "related_region": "right lung", "relation_type": "sub_region"},
    {"region": "left lung", "related_region": "left lower lobe", "relation_type": "sub_region"},
    {"region": "right lung", "related_region": "right lower lobe", "relation_type": "sub_region"},
    {"region": "left lung", "related_region": "right lung", "relation_type": "right"},
    {
        "region": "pleural space",
        "related_region": "left pleural space",
        "relation_type": "sub_region",
    },
    {
        "region": "pleural space",
        "related_region": "right pleural space",
        "relation_type": "sub_region",
    },
    {
        "region": "left pleural space",
        "related_region": "right pleural space",
        "relation_type": "right",
    },
]


def scene_graph(
    sid: str,
    pid: str,
    order: int,
    observations: list[dict[str, Any]],
    children: dict[str, list[str]] | None = None,
    indication: dict[str, Any] | None = None,
    study_quality: dict[str, str] | None = None,
) -> SceneGraph:
    children = children or {}
    child_ids = {c for cs in children.values() for c in cs}
    all_obs = {o["obs_id"]: o for o in observations}
    located = [
        {"region": r["region"], "observation_id": o["obs_id"], "where_specified": "direct"}
        for o in observations
        for r in o["regions"]
    ]
    sentences = {
        f"S{i + 1:02d}": {
            "sent_id": f"S{i + 1:02d}",
            "section": "FINDINGS",
            "sentence": o["summary_sentence"],
        }
        for i, o in enumerate(observations)
        if o["summary_sentence"]
    }
    sent_of = {
        o["obs_id"]: f"S{i + 1:02d}" for i, o in enumerate(observations) if o["summary_sentence"]
    }
    data = {
        "patient_id": pid,
        "study_id": sid,
        "study_order": order,
        "sentences": sentences,
        "top_level_obs_ids": [o["obs_id"] for o in observations if o["obs_id"] not in child_ids],
        "observations": all_obs,
        "regions": regions_block(list(BOXES)),
        "located_at_relations": located,
        "obs_relations": [
            {"parent_observation_id": p, "child_observation_id": c, "child_type": "associated_with"}
            for p, cs in children.items()
            for c in cs
        ],
        "obs_sent_relations": [{"observation_id": o, "sentence_id": s} for o, s in sent_of.items()],
        "region_region_relations": REGION_RELS,
        "study_quality": {**GOOD, **(study_quality or {})},
        "images": {
            PA: {"image_id": PA, "view_position": "PA", "width": 1000, "height": 1000},
            LAT: {"image_id": LAT, "view_position": "LATERAL", "width": 1000, "height": 1000},
        },
    }
    if indication:
        data["indication"] = indication
    text = json.dumps(data).replace(f'"{PA}"', f'"{sid}-pa"').replace(f'"{LAT}"', f'"{sid}-lat"')
    return SceneGraph.model_validate(json.loads(text))


def study_s1() -> SceneGraph:
    effusion = obs(
        "O01",
        "moderate left pleural effusion",
        "There is a moderate left pleural effusion.",
        ["pleural effusion"],
        ["left pleural space"],
        "positive",
        subcats=["PLEURA"],
        modifiers={"severity": ["moderate"]},
    )
    effusion["localization"][LAT] = {
        "image_id": LAT,
        "localization_reference_ids": ["left pleural space"],
        "bboxes": [[10, 20, 30, 40]],
        "localization_quality": "FALLBACK_LOCALIZATION",
        "is_fallback": True,
    }
    atelectasis = obs(
        "O01.01",
        "adjacent atelectasis",
        "There is adjacent atelectasis.",
        ["atelectasis"],
        ["left lower lobe"],
        "positive",
        subcats=["LUNG_FIELD"],
        parents=["lung opacity"],
        level=1,
    )
    observations = [
        effusion,
        atelectasis,
        obs(
            "O02",
            "no pneumothorax",
            "There is no pneumothorax.",
            ["pneumothorax"],
            ["pleural space"],
            "negative",
            subcats=["PLEURA"],
        ),
        obs(
            "O03",
            "endotracheal tube",
            "The endotracheal tube terminates 4 cm above the carina.",
            ["endotracheal tube"],
            ["trachea"],
            "positive",
            cats=["DEVICE"],
            subcats=["AIRWAY_TUBES"],
            parents=["support devices"],
        ),
        obs(
            "O04",
            "normal heart size",
            "The heart size is normal.",
            ["cardiomegaly"],
            ["heart"],
            "negative",
            subcats=["CARDIAC"],
        ),
        obs(
            "O05",
            "possible right lower lobe pneumonia",
            "There may be a right lower lobe pneumonia.",
            ["pneumonia"],
            ["right lower lobe"],
            "possible",
            cats=["DISEASE"],
            subcats=["INFECTION"],
            parents=["consolidation"],
            quality={"issue_level": "MOSTLY_INTERPRETABLE"},
        ),
        obs(
            "O06",
            "no pulmonary edema",
            None,
            ["pulmonary edema"],
            ["lungs"],
            "negative",
            subcats=["LUNG_FIELD"],
            quality={"region_quality": "DEFAULT_REGIONS_ONLY"},
            from_report=False,
        ),
    ]
    oind = obs(
        "OIND",
        "tube in standard position",
        "The endotracheal tube is in standard position.",
        ["endotracheal tube"],
        ["trachea"],
        "positive",
        cats=["DEVICE"],
    )
    indication = {
        "indication_summary": "Intubated patient; evaluate the tube position.",
        "indication": "Intubated patient.",
        "evaluation": "Evaluate the tube position.",
        "associated_obs_ids": ["O03"],
        "answer_for_indication": oind,
    }
    return scene_graph("s50000001", "p10000001", 1, observations, {"O01": ["O01.01"]}, indication)


def study_s2() -> SceneGraph:
    observations = [
        obs(
            "O01",
            "small left pleural effusion",
            "A small left pleural effusion remains.",
            ["pleural effusion"],
            ["left pleural space"],
            "positive",
            subcats=["PLEURA"],
            modifiers={"severity": ["small"]},
            changes=["improved"],
        ),
        obs(
            "O02",
            "no pneumothorax",
            "There is no pneumothorax.",
            ["pneumothorax"],
            ["pleural space"],
            "negative",
            subcats=["PLEURA"],
        ),
        obs(
            "O03",
            "no endotracheal tube",
            "There is no endotracheal tube.",
            ["endotracheal tube"],
            ["trachea"],
            "negative",
            cats=["DEVICE"],
            subcats=["AIRWAY_TUBES"],
            changes=["removed"],
        ),
    ]
    sg = scene_graph("s50000002", "p10000001", 2, observations)
    # A Chest ImaGenome comparison of the left pleural space with the previous study.
    sg.comparison_relations = [
        ComparisonRelation(
            relationship_id="s50000002-cmp1",
            bbox_name="left pleural space",
            subject_id="s50000002-pa_left pleural space",
            object_id="s50000001-pa_left pleural space",
            relationship_names=["comparison|yes|improved"],
            phrase="Left effusion has decreased.",
        )
    ]
    return sg


def study_s3() -> SceneGraph:
    observations = [
        obs(
            "O01",
            "no focal consolidation",
            "There is no focal consolidation.",
            ["consolidation"],
            ["lungs"],
            "negative",
            subcats=["LUNG_FIELD"],
        ),
        obs(
            "O02",
            "no pleural effusion",
            "There is no pleural effusion.",
            ["pleural effusion"],
            ["pleural space"],
            "negative",
            subcats=["PLEURA"],
        ),
        obs(
            "O03",
            "normal heart size",
            "The heart size is normal.",
            ["cardiomegaly"],
            ["heart"],
            "negative",
            subcats=["CARDIAC"],
        ),
    ]
    return scene_graph("s50000003", "p10000003", 1, observations)


def study_s4() -> SceneGraph:
    observations = [
        obs(
            "O01",
            "patient rotated",
            "The patient is rotated.",
            ["rotated"],
            ["lungs"],
            "positive",
            cats=["TECHNICAL_ASSESSMENT"],
            subcats=["IMAGE_QUALITY"],
        ),
        obs(
            "O02",
            "skin fold",
            "A skin fold projects over the left lung.",
            ["skin fold"],
            ["left lung"],
            "positive",
            cats=["TECHNICAL_ASSESSMENT"],
            subcats=["IMAGE_QUALITY"],
            parents=["artifact"],
        ),
        obs(
            "O03",
            "no pneumothorax",
            "There is no pneumothorax.",
            ["pneumothorax"],
            ["pleural space"],
            "negative",
            subcats=["PLEURA"],
        ),
    ]
    return scene_graph("s50000004", "p10000004", 1, observations)


ALL = ["s50000001", "s50000002", "s50000003", "s50000004"]


@pytest.fixture()
def loaded(store):  # noqa: ANN001, ANN201
    load_scene_graphs(store, [study_s1(), study_s2(), study_s3(), study_s4()], progress=False)
    return store


def as_dicts(items: list[StudyQA]) -> dict[str, list[dict[str, Any]]]:
    """Questions per study id, as the QA contract's records dumped to dicts."""
    return {item.study.study_id: [q.model_dump() for q in item.questions] for item in items}


@pytest.fixture()
def qa(loaded):  # noqa: ANN001, ANN201
    """Questions per study id."""
    return as_dicts(generate_batch(loaded, ALL, seed=0))


def find(questions: list[dict[str, Any]], qtype: str, **variables: str) -> dict[str, Any]:
    hits = [
        q
        for q in questions
        if q["question_type"] == qtype
        and all(q["variables"].get(k) == v for k, v in variables.items())
    ]
    if len(hits) > 1:  # "B13_has_devices" alone means the one without a subcategory
        hits = [q for q in hits if q["variables"] == variables]
    assert len(hits) == 1, f"{qtype} {variables}: {len(hits)} questions"
    return hits[0]


def none_of(questions: list[dict[str, Any]], qtype: str, **variables: str) -> None:
    hits = [
        q
        for q in questions
        if q["question_type"] == qtype
        and all(q["variables"].get(k) == v for k, v in variables.items())
    ]
    assert hits == [], f"{qtype} {variables} should not be asked"


def mains(q: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in q["answers"] if a["answer_type"] == "main_answer"]


def of_type(q: dict[str, Any], answer_type: str) -> list[dict[str, Any]]:
    return [a for a in q["answers"] if a["answer_type"] == answer_type]


def texts(answers: list[dict[str, Any]]) -> list[str]:
    return [a["text"] for a in answers]


@pytest.fixture(scope="module")
def qa_all(session_store):  # noqa: ANN001, ANN201
    """Questions per study id, generated once for the module from the four studies."""
    session_store.clear()
    session_store.setup_schema()
    load_scene_graphs(
        session_store, [study_s1(), study_s2(), study_s3(), study_s4()], progress=False
    )
    return as_dicts(generate_batch(session_store, ALL, seed=0))


S1, S2, S3, S4 = ALL


def boxes(answer: dict[str, Any], image: str) -> list[list[float]]:
    return answer["localization"].get(image, {}).get("bboxes", [])


# -- A ---------------------------------------------------------------------------------------
def test_indication_question_is_the_indication_answered_by_oind_with_associated_details(qa_all):
    q = find(qa_all[S1], "A_indication")
    assert q["question"] == "Intubated patient; evaluate the tube position."
    assert q["question_strategy"] == "indication"
    assert texts(mains(q)) == ["The endotracheal tube is in standard position."]
    assert texts(of_type(q, "details")) == [
        "The endotracheal tube terminates 4 cm above the carina."
    ]
    assert q["obs_ids"] == ["OIND", "O03"]
    none_of(qa_all[S3], "A_indication")


# -- B ---------------------------------------------------------------------------------------
def test_describe_all_lists_top_level_observations_in_report_order_with_children_nested(qa_all):
    q = find(qa_all[S1], "B01_describe_all")
    assert texts(mains(q)) == [
        "There is a moderate left pleural effusion.",
        "There is no pneumothorax.",
        "The endotracheal tube terminates 4 cm above the carina.",
        "The heart size is normal.",
        "There may be a right lower lobe pneumonia.",
        "No pulmonary edema.",
    ]
    child = mains(q)[0]["sub_answers"][0]
    assert (child["text"], child["answer_type"], child["answer_level"]) == (
        "There is adjacent atelectasis.",
        "details",
        1,
    )
    # the default observation has no report sentence: its text is a template
    assert mains(q)[-1]["from_report"] is False and mains(q)[0]["from_report"] is True
    assert q["contains_report_answers"] and q["contains_template_answers"]
    # B: the pneumonia has issue level MOSTLY_INTERPRETABLE, the default obs default regions
    assert q["question_quality"]["rating"] == "B"
    assert q["extraction_quality"]["issue_level"] == "MOSTLY_INTERPRETABLE"


def test_describe_abnormal_keeps_positive_observations_or_says_there_are_none(qa_all):
    q = find(qa_all[S1], "B02_describe_abnormal")
    assert [a["obs_entities"] for a in mains(q)] == [["pleural effusion"], ["pneumonia"]]
    q3 = find(qa_all[S3], "B02_describe_abnormal")
    assert texts(mains(q3)) == ["There are no abnormal findings."]
    assert len(of_type(q3, "details")) == 3


def test_is_abnormal_answers_yes_with_positive_details_and_no_for_a_normal_study(qa_all):
    q = find(qa_all[S1], "B03_is_abnormal")
    assert texts(mains(q)) == ["Yes, there are abnormal findings."]
    assert mains(q)[0]["positiveness"] == "pos"
    assert {a["positiveness"] for a in of_type(q, "details")} == {"pos"}
    q3 = find(qa_all[S3], "B03_is_abnormal")
    assert texts(mains(q3)) == ["No, there are no abnormal findings."]
    assert {a["positiveness"] for a in of_type(q3, "details")} == {"neg"}
    assert q3["question_quality"]["rating"] == "A++"


def test_is_normal_inverts_the_verdict(qa_all):
    assert texts(mains(find(qa_all[S3], "B04_is_normal"))) == ["Yes, the study is normal."]
    assert texts(mains(find(qa_all[S1], "B04_is_normal"))) == ["No, the study is not normal."]


def test_subcategory_questions_are_asked_per_subcategory_and_skipped_when_only_uncertain(qa_all):
    qs = qa_all[S1]
    q = find(qs, "B08_describe_subcat", subcategory="PLEURA")
    assert q["question"] == "Describe the pleural findings in this study."
    assert texts(mains(q)) == [
        "There is a moderate left pleural effusion.",
        "There is no pneumothorax.",
    ]
    assert texts(mains(find(qs, "B09_describe_abnormal_subcat", subcategory="PLEURA"))) == [
        "There is a moderate left pleural effusion."
    ]
    assert texts(mains(find(qs, "B10_is_abnormal_subcat", subcategory="PLEURA"))) == [
        "Yes, there are abnormal pleural findings."
    ]
    assert texts(mains(find(qs, "B11_is_normal_subcat", subcategory="PLEURA"))) == [
        "No, the pleural findings are not normal."
    ]
    assert texts(mains(find(qs, "B11_is_normal_subcat", subcategory="CARDIAC"))) == [
        "Yes, the cardiac findings are normal."
    ]
    # INFECTION holds only the possible pneumonia: yes/no cannot be guaranteed
    find(qs, "B08_describe_subcat", subcategory="INFECTION")
    none_of(qs, "B10_is_abnormal_subcat", subcategory="INFECTION")
    none_of(qs, "B11_is_normal_subcat", subcategory="INFECTION")


def test_device_questions_describe_and_answer_presence_of_devices(qa_all):
    q = find(qa_all[S1], "B12_describe_device")
    assert texts(mains(q)) == ["The endotracheal tube terminates 4 cm above the carina."]
    assert boxes(mains(q)[0], f"{S1}-pa") == [[450.0, 20.0, 550.0, 300.0]]
    assert texts(mains(find(qa_all[S1], "B13_has_devices"))) == ["Yes, devices can be seen."]
    # each device subcategory the study mentions is asked about on its own
    q = find(qa_all[S1], "B13_has_devices", device_subcategory="AIRWAY_TUBES")
    assert q["question"] in (
        "Are there any airway tubes in this study?",
        "Can any airway tubes be seen?",
    )
    assert texts(mains(q)) == ["Yes, airway tubes can be seen."]
    q2 = find(qa_all[S2], "B13_has_devices")
    assert texts(mains(q2)) == ["No, no devices can be seen."]
    assert texts(of_type(q2, "details")) == ["There is no endotracheal tube."]
    # a read report that names no device: "no", graded as a negative it does not state
    q3 = find(qa_all[S3], "B13_has_devices")
    assert texts(mains(q3)) == ["No, no devices can be seen."]
    assert mains(q3)[0]["answer_quality"]["entailment"] == "ALIGNED_NEGATIVE_NOT_MENTIONED"
    assert q3["question_quality"]["rating"] in ("A", "B", "C", "D")
    assert texts(mains(find(qa_all[S3], "B12_describe_device"))) == ["There are no devices."]


def test_acquisition_and_artifact_questions_only_where_the_report_mentions_them(qa_all):
    q = find(qa_all[S4], "B14_describe_acquisition")
    assert texts(mains(q)) == [
        "The patient is rotated.",
        "A skin fold projects over the left lung.",
    ]
    assert texts(mains(find(qa_all[S4], "B15_describe_imaging_artifacts"))) == [
        "A skin fold projects over the left lung."
    ]
    q16 = find(qa_all[S4], "B16_has_imaging_artifacts")
    assert texts(mains(q16)) == ["Yes, there are imaging artifacts."]
    assert texts(of_type(q16, "details")) == ["A skin fold projects over the left lung."]
    none_of(qa_all[S1], "B14_describe_acquisition")
    # a read report without artifacts: "none", graded as a negative it does not state
    q = find(qa_all[S1], "B16_has_imaging_artifacts")
    assert texts(mains(q)) == ["No, there are no imaging artifacts."]
    assert mains(q)[0]["answer_quality"]["entailment"] == "ALIGNED_NEGATIVE_NOT_MENTIONED"
    assert texts(mains(find(qa_all[S1], "B15_describe_imaging_artifacts"))) == [
        "There are no imaging artifacts."
    ]
    # technique is not asked as a finding
    none_of(qa_all[S4], "D02_has_finding", finding="rotated")


def test_devices_and_technique_do_not_make_a_study_or_region_abnormal(qa_all):
    # s4: rotated, a skin fold, no pneumothorax
    q = find(qa_all[S4], "B03_is_abnormal")
    assert texts(mains(q)) == ["No, there are no abnormal findings."]
    assert texts(of_type(q, "details")) == ["There is no pneumothorax."]
    none_of(qa_all[S4], "B10_is_abnormal_subcat", subcategory="IMAGE_QUALITY")
    none_of(qa_all[S4], "C03_is_abnormal_region", region="left lung")  # only the skin fold
    # s1: the trachea holds only the endotracheal tube
    none_of(qa_all[S1], "C03_is_abnormal_region", region="trachea")
    none_of(qa_all[S1], "B11_is_normal_subcat", subcategory="AIRWAY_TUBES")
    find(qa_all[S1], "C01_describe_region", region="trachea")


# -- C ---------------------------------------------------------------------------------------
def test_describe_region_answers_from_the_region_and_relates_the_parent_region(qa_all):
    q = find(qa_all[S1], "C01_describe_region", region="left pleural space")
    main = mains(q)
    assert texts(main) == ["There is a moderate left pleural effusion."]
    assert boxes(main[0], f"{S1}-pa") == [[500.0, 90.0, 910.0, 910.0]]
    assert boxes(main[0], f"{S1}-lat") == [[10.0, 20.0, 30.0, 40.0]]
    assert texts(of_type(q, "related_information")) == ["There is no pneumothorax."]
    # the fallback box on the lateral image caps the grade at B
    assert q["question_img_localization_quality"][f"{S1}-lat"] == "FALLBACK_LOCALIZATION"
    assert q["question_quality"]["rating"] == "B"


def test_region_questions_relate_the_other_side(qa_all):
    q = find(qa_all[S1], "C01_describe_region", region="left lung")
    assert texts(mains(q)) == ["There is adjacent atelectasis."]
    related = texts(of_type(q, "related_information"))
    assert "There may be a right lower lobe pneumonia." in related  # right lung
    assert "No pulmonary edema." in related  # parent region: lungs


def test_describe_abnormal_region_says_none_for_a_normal_region(qa_all):
    q = find(qa_all[S3], "C02_describe_abnormal_region", region="lungs")
    assert texts(mains(q)) == ["There are no abnormalities in the lungs."]
    assert texts(of_type(q, "details")) == ["There is no focal consolidation."]
    assert boxes(mains(q)[0], f"{S3}-pa") == [[100.0, 100.0, 900.0, 900.0]]


def test_region_yes_no_questions_carry_the_region_box_and_skip_uncertain_regions(qa_all):
    q = find(qa_all[S1], "C04_is_normal_region", region="heart")
    assert q["question"] in ("Is the heart normal?", "Does the heart look normal?")
    assert texts(mains(q)) == ["Yes, the heart is normal."]
    assert boxes(mains(q)[0], f"{S1}-pa") == [[400.0, 450.0, 700.0, 800.0]]
    assert texts(mains(find(qa_all[S1], "C03_is_abnormal_region", region="heart"))) == [
        "No, the heart is not abnormal."
    ]
    assert texts(mains(find(qa_all[S1], "C03_is_abnormal_region", region="lungs"))) == [
        "Yes, the lungs are abnormal."
    ]
    # the right lower lobe only has a possible pneumonia
    find(qa_all[S1], "C01_describe_region", region="right lower lobe")
    none_of(qa_all[S1], "C03_is_abnormal_region", region="right lower lobe")
    none_of(qa_all[S1], "C04_is_normal_region", region="right lower lobe")
    # regions without observations are not asked about (the mediastinum holds the
    # endotracheal tube once the ontology says the trachea is part of it)
    none_of(qa_all[S1], "C01_describe_region", region="abdomen")


def test_region_device_questions(qa_all):
    q = find(qa_all[S1], "C07_describe_region_device", region="trachea")
    assert texts(mains(q)) == ["The endotracheal tube terminates 4 cm above the carina."]
    yes = find(qa_all[S1], "C08_has_region_device", region="trachea")
    assert texts(mains(yes)) == ["Yes, there is a device in the trachea."]
    no = find(qa_all[S1], "C08_has_region_device", region="heart")
    assert texts(mains(no)) == ["No, there is no device in the heart."]
    assert texts(of_type(no, "related_information")) == [
        "The endotracheal tube terminates 4 cm above the carina."
    ]
    # a read report that names no device: each device region is asked about, "no", graded
    # as a negative the report does not state; other regions are not asked about
    no = find(qa_all[S3], "C08_has_region_device", region="lungs")
    assert texts(mains(no)) == ["No, there is no device in the lungs."]
    assert mains(no)[0]["answer_quality"]["entailment"] == "ALIGNED_NEGATIVE_NOT_MENTIONED"
    q = find(qa_all[S3], "C07_describe_region_device", region="heart")
    assert texts(mains(q)) == ["There are no devices in the heart."]
    asked = {
        q["variables"]["region"]
        for q in qa_all[S3]
        if q["question_type"] == "C08_has_region_device"
    }
    assert asked <= set(DEVICE_REGIONS)


# -- D ---------------------------------------------------------------------------------------
def test_describe_finding_includes_sub_findings(qa_all):
    q = find(qa_all[S1], "D01_describe_finding", finding="pleural effusion")
    assert texts(mains(q)) == ["There is a moderate left pleural effusion."]
    q = find(qa_all[S1], "D01_describe_finding", finding="lung opacity")  # parent of atelectasis
    # and, through the ontology ingest mirrors, of pneumonia and pulmonary edema too
    assert sorted(texts(mains(q))) == [
        "No pulmonary edema.",
        "There is adjacent atelectasis.",
        "There may be a right lower lobe pneumonia.",
    ]


def test_negative_observation_answers_no_for_has_finding(qa_all):
    q = find(qa_all[S1], "D02_has_finding", finding="pneumothorax")
    assert texts(mains(q)) == ["No, there is no pneumothorax."]
    assert mains(q)[0]["positiveness"] == "neg"
    assert texts(of_type(q, "details")) == ["There is no pneumothorax."]
    yes = find(qa_all[S1], "D02_has_finding", finding="pleural effusion")
    assert texts(mains(yes)) == ["Yes, there is pleural effusion."]
    assert boxes(mains(yes)[0], f"{S1}-pa") == [[500.0, 90.0, 910.0, 910.0]]


def test_has_finding_is_not_asked_for_uncertain_or_never_mentioned_findings(qa_all):
    none_of(qa_all[S1], "D02_has_finding", finding="pneumonia")
    none_of(qa_all[S1], "D02_has_finding", finding="nodule")  # a default, never mentioned
    none_of(qa_all[S1], "D01_describe_finding", finding="nodule")


def test_where_and_how_severe_use_regions_and_severity_of_positive_observations(qa_all):
    q = find(qa_all[S1], "D03_where_is_finding", finding="pleural effusion")
    assert texts(mains(q)) == ["The pleural effusion is located in the left pleural space."]
    assert mains(q)[0]["regions"] == ["left pleural space"]
    assert texts(of_type(q, "details")) == ["There is a moderate left pleural effusion."]
    q = find(qa_all[S1], "D04_how_severe_is_finding", finding="pleural effusion")
    assert texts(mains(q)) == ["The pleural effusion is moderate."]
    assert mains(q)[0]["modifiers"] == [["severity", "moderate"]]
    none_of(qa_all[S1], "D04_how_severe_is_finding", finding="atelectasis")  # no severity


def test_device_findings_get_device_questions(qa_all):
    q = find(qa_all[S1], "D05_describe_device", finding="endotracheal tube")
    assert texts(mains(q)) == ["The endotracheal tube terminates 4 cm above the carina."]
    assert texts(mains(find(qa_all[S1], "D06_has_device", finding="endotracheal tube"))) == [
        "Yes, there is an endotracheal tube."
    ]
    assert texts(mains(find(qa_all[S1], "D07_where_is_device", finding="endotracheal tube"))) == [
        "The endotracheal tube is located in the trachea."
    ]
    assert texts(mains(find(qa_all[S2], "D06_has_device", finding="endotracheal tube"))) == [
        "No, there is no endotracheal tube."
    ]
    none_of(qa_all[S1], "D01_describe_finding", finding="endotracheal tube")


# -- E ---------------------------------------------------------------------------------------
def test_longitudinal_questions_compare_with_the_previous_study(qa_all):
    q = find(qa_all[S2], "E01_has_finding_changed", finding="pleural effusion")
    assert q["question"] == "Has the pleural effusion changed since the previous study?"
    assert q["variables"]["previous_study_id"] == S1
    assert texts(mains(q)) == ["Yes, the pleural effusion has improved since the previous study."]
    assert texts(of_type(q, "details")) == ["A small left pleural effusion remains."]
    assert texts(of_type(q, "related_information")) == [
        "There is a moderate left pleural effusion."
    ]
    assert q["obs_ids"] == ["O01"]  # only the current study's observations
    assert texts(mains(find(qa_all[S2], "E01_has_finding_changed", finding="pneumothorax"))) == [
        "No, there is still no pneumothorax, as in the previous study."
    ]
    assert texts(
        mains(find(qa_all[S2], "E01_has_finding_changed", finding="endotracheal tube"))
    ) == ["Yes, the endotracheal tube has been removed since the previous study."]
    assert not [q for q in qa_all[S1] if q["question_type"].startswith("E")]


def test_imagenome_comparison_gives_a_region_change_question(qa_all):
    q = find(qa_all[S2], "E02_describe_region_change", region="left pleural space")
    assert q["question"] == "How has the left pleural space changed since the previous study?"
    assert texts(mains(q)) == [
        "Compared with the previous study, the left pleural space has improved."
        " Left effusion has decreased."
    ]
    assert boxes(mains(q)[0], f"{S2}-pa") == [[500.0, 90.0, 910.0, 910.0]]
    assert texts(of_type(q, "details")) == ["A small left pleural effusion remains."]


# -- ids, determinism, export, graph ------------------------------------------------------------
def test_every_question_has_a_main_answer_and_ids_unique_within_its_study(qa_all):
    for questions in qa_all.values():
        question_ids: set[str] = set()
        answer_ids: set[int] = set()
        for q in questions:
            assert mains(q), q["question_type"]
            assert q["question_id"].startswith(q["question_type"] + "_")
            assert q["question_id"] not in question_ids
            question_ids.add(q["question_id"])
            for a in walk(q["answers"]):
                assert isinstance(a["answer_id"], int) and a["answer_id"] not in answer_ids
                answer_ids.add(a["answer_id"])


def test_write_graph_stores_questions_and_replaces_them_on_regeneration(loaded):
    report = generate_qa(loaded, [S1, S3], write_graph=True)
    count = "MATCH (:Study)-[:HAS_QUESTION]->(q:Question) RETURN count(q) AS n"
    assert loaded.run(count)[0]["n"] == report.questions
    generate_qa(loaded, [S1], write_graph=True)
    assert loaded.run(count)[0]["n"] == report.questions  # replaced, not duplicated
    rows = loaded.run(
        "MATCH (s:Study {study_id: $sid})-[:HAS_QUESTION]->(q:Question {question_type: 'D02_has_finding'})"
        "-[:HAS_ANSWER]->(a:Answer {answer_type: 'details'})-[:FROM_OBSERVATION]->(o:Observation) "
        "RETURN q.text AS q, o.obs_id AS obs ORDER BY q",
        {"sid": S1},
    )
    assert {"q": "Is there any pneumothorax?", "obs": "O02"} in rows or {
        "q": "Can pneumothorax be seen?",
        "obs": "O02",
    } in rows
    sub = loaded.run("MATCH (:Answer)-[:SUB_ANSWER]->(a:Answer) RETURN count(a) AS n")[0]["n"]
    assert sub > 0
    answers = loaded.run("MATCH (a:Answer) RETURN count(a) AS n")[0]["n"]
    generate_qa(loaded, [S1, S3], write_graph=True)
    assert loaded.run("MATCH (a:Answer) RETURN count(a) AS n")[0]["n"] == answers
