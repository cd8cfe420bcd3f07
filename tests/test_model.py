"""The SceneGraph contract: the seed's own example, extra fields, references, messages."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cxrkg.ingest.model import Observation, SceneGraph, validation_rejection

# The scene_graph.json example of the MIMIC-Ext-CXR-QBA description, with its "..." filled.
SEED_EXAMPLE = {
    "patient_id": "p10000032",
    "study_id": "s50414267",
    "sentences": {
        "S01": {
            "sent_id": "S01",
            "section": "FINDINGS",
            "section_type": "FINDINGS",
            "sentence": "No new focal consolidation.",
        },
        "S05": {
            "sent_id": "S05",
            "section": "IMPRESSION",
            "section_type": "IMPRESSION",
            "sentence": "No acute cardiopulmonary process.",
        },
    },
    "top_level_obs_ids": ["O01"],
    "observations": {
        "O01": {
            "obs_id": "O01",
            "name": "no focal consolidation",
            "summary_sentence": "There is no focal consolidation.",
            "child_type": None,
            "child_level": 0,
            "regions": [{"region": "lungs", "distances": []}],
            "non_resolved_regions": [],
            "laterality": "bilateral",
            "default_regions": ["lungs"],
            "obs_entities": ["consolidation"],
            "obs_entities_parents": [],
            "non_resolved_obs_entities": [],
            "obs_categories": ["ANATOMICAL_FINDING", "DISEASE"],
            "obs_subcategories": ["LUNG_FIELD", "PULMONARY_DISEASES", "INFECTION"],
            "probability": "negative",
            "certainty": "certain",
            "positiveness": "neg",
            "modifiers": {"temporal": [], "severity": [], "texture": [], "spread": ["focal"]},
            "changes": ["no new"],
            "change_sentence": "No new focal consolidation is visible.",
            "from_report": True,
            "obs_quality": {"region_quality": "DEFAULT_REGIONS_ONLY"},
            "localization": {
                "img-1": {
                    "image_id": "img-1",
                    "localization_reference_ids": ["lungs"],
                    "bboxes": [[888.0, 370.0, 1610.0, 1642.0], [136.0, 402.0, 898.0, 1678.0]],
                    "instance_mask_ids": ["lungs"],
                    "missing_localization": [],
                    "is_fallback": False,
                    "localization_quality": 4,
                }
            },
        }
    },
    "indication": {
        "indication_summary": "Female with HIV, experiencing chest pain and dyspnea; should be"
        " evaluated for infiltrate and effusion.",
        "patient_info": "Female, HIV-positive, with chest pain and dyspnea.",
        "indication": "Chest pain and dyspnea.",
        "evaluation": "Evaluate for infiltrate and effusion.",
        "associated_sentence_ids": ["S05"],
        "associated_obs_ids": ["O01"],
        "answer_for_indication": {"obs_id": "OIND", "name": "no infiltrate or effusion"},
    },
    "regions": {
        "lungs": {
            "region": "lungs",
            "laterality": "bilateral",
            "localization": {},
            "region_localization_quality": 0,
        },
        "left lung": {"region": "left lung", "laterality": "left", "localization": {}},
        "right lung": {"region": "right lung", "laterality": "right", "localization": {}},
    },
    "located_at_relations": [
        {"region": "lungs", "observation_id": "O01", "distances": [], "where_specified": "direct"}
    ],
    "obs_relations": [],
    "obs_sent_relations": [{"observation_id": "O01", "sentence_id": "S01"}],
    "region_region_relations": [
        {"region": "lungs", "related_region": "left lung", "relation_type": "sub_region"},
        {"region": "left lung", "related_region": "right lung", "relation_type": "right"},
    ],
    "study_quality": {"region_quality": 1, "issue_level": 5},
    "study_img_localization_quality": {"img-1": 4},
}


def test_the_seed_example_parses_with_every_field():
    sg = SceneGraph.model_validate(SEED_EXAMPLE)
    obs = sg.observations["O01"]
    assert obs.modifiers["spread"] == ["focal"] and obs.changes == ["no new"]
    assert obs.localization["img-1"].bboxes[1] == (136.0, 402.0, 898.0, 1678.0)
    assert sg.indication.answer_for_indication.obs_id == "OIND"
    assert set(sg.all_observations()) == {"O01", "OIND"}
    assert sg.to_qba_json()["observations"]["O01"]["obs_entities"] == ["consolidation"]


def test_unknown_fields_are_kept_at_every_level():
    data = {**SEED_EXAMPLE, "new_top": 1}
    data["regions"] = {**data["regions"], "lungs": {**data["regions"]["lungs"], "note": "x"}}
    sg = SceneGraph.model_validate(data)
    assert sg.extras() == {"new_top": 1}
    assert sg.regions["lungs"].extras() == {"note": "x"}
    assert sg.to_qba_json()["new_top"] == 1


def test_a_dangling_reference_names_the_relation_and_the_missing_id():
    data = {**SEED_EXAMPLE, "obs_sent_relations": [{"observation_id": "O09", "sentence_id": "S01"}]}
    with pytest.raises(ValidationError) as err:
        SceneGraph.model_validate(data)
    rejected = validation_rejection(err.value, "f.json", "s50414267")
    assert "obs_sent_relations[0].observation_id: unknown observation 'O09'" in rejected.reason
    assert rejected.describe().startswith("f.json (study s50414267)")


def test_a_wrong_type_names_the_field_path():
    data = {
        **SEED_EXAMPLE,
        "observations": {"O01": {**SEED_EXAMPLE["observations"]["O01"], "child_level": "deep"}},
    }
    with pytest.raises(ValidationError) as err:
        SceneGraph.model_validate(data)
    assert validation_rejection(err.value, "f.json", None).field == "observations.O01.child_level"


def test_a_box_with_corners_swapped_is_refused():
    with pytest.raises(ValidationError, match="not \\(x1, y1, x2, y2\\)"):
        Observation.model_validate(
            {"obs_id": "O1", "localization": {"i": {"image_id": "i", "bboxes": [[10, 10, 5, 20]]}}}
        )


def test_answer_style_modifier_pairs_are_accepted():
    obs = Observation.model_validate(
        {"obs_id": "O1", "modifiers": [["severity", "mild"], ["spread", "focal"]]}
    )
    assert obs.modifiers == {"severity": ["mild"], "spread": ["focal"]}
