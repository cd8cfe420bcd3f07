"""The LLM extractor's three steps against a real local chat-completions server, including
an invalid-JSON reply that sends the report to the rule extractor."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from llm_server import ChatServer, last_user_message  # noqa: E402

from cxrkg.ingest.extract.llm_extract import messages  # noqa: E402
from cxrkg.ingest.extract.pipeline import ReportInput, ReportPipeline  # noqa: E402
from cxrkg.ingest.model import SceneGraph  # noqa: E402
from cxrkg.llm import LLMClient  # noqa: E402
from cxrkg.ontology import load_ontology  # noqa: E402

REPORT = ReportInput(
    file="s1.txt",
    study_id="s1",
    patient_id="p1",
    text="INDICATION: Cough, evaluate for pneumonia.\nFINDINGS: New patchy opacity in the "
    "right lower lobe, likely pneumonia. No pneumothorax.\nIMPRESSION: Right lower lobe "
    "pneumonia.",
)

SENTENCES = {
    "sentences": [
        {"sentence": "Cough, evaluate for pneumonia.", "section": "INDICATION", "related": []},
        {
            "sentence": "New patchy opacity in the right lower lobe, likely pneumonia.",
            "section": "FINDINGS",
            "related": [4],
        },
        {"sentence": "No pneumothorax.", "section": "FINDINGS", "related": []},
        {"sentence": "Right lower lobe pneumonia.", "section": "IMPRESSION", "related": [2]},
    ]
}
EMPTY_MODS = {"temporal": [], "severity": [], "texture": [], "spread": []}
OBSERVATIONS = {
    "New patchy opacity in the right lower lobe, likely pneumonia.": {
        "observations": [
            {
                "name": "patchy opacity in the right lower lobe",
                "summary_sentence": "Patchy opacity in the right lower lobe.",
                "entity": ["opacities"],
                "regions": ["right lower lobe"],
                "probability": "positive",
                "modifiers": {**EMPTY_MODS, "texture": ["patchy"]},
                "change": ["new"],
                "change_sentence": "New patchy opacity in the right lower lobe, likely pneumonia.",
                "children": [
                    {
                        "name": "pneumonia",
                        "summary_sentence": "Likely pneumonia.",
                        "entity": ["pneumonia"],
                        "regions": ["right lower lobe"],
                        "probability": "probable",
                        "modifiers": EMPTY_MODS,
                        "change": [],
                        "change_sentence": None,
                        "child_type": "suggestive_of",
                    }
                ],
            }
        ]
    },
    "No pneumothorax.": {
        "observations": [
            {
                "name": "no pneumothorax",
                "summary_sentence": "There is no pneumothorax.",
                "entity": ["pneumothorax", "blorp sign"],
                "regions": [],
                "probability": "negative",
                "modifiers": EMPTY_MODS,
                "change": [],
                "change_sentence": None,
                "children": [],
            }
        ]
    },
    "Right lower lobe pneumonia.": {
        "observations": [
            {
                "name": "right lower lobe pneumonia",
                "summary_sentence": "Right lower lobe pneumonia.",
                "entity": ["pneumonia"],
                "regions": ["right lower lobe"],
                "probability": "positive",
                "modifiers": EMPTY_MODS,
                "change": [],
                "change_sentence": None,
                "children": [],
            }
        ]
    },
}
INDICATION = {
    "indication_summary": "Cough; evaluate for pneumonia.",
    "patient_info": None,
    "indication": "Cough.",
    "evaluation": "Evaluate for pneumonia.",
    "associated_sentence_ids": ["S02", "S04", "S99"],
    "answer_for_indication": "Right lower lobe pneumonia.",
    "asked_entities": ["pneumonia"],
}


def model(broken_sentence: str | None = None):  # noqa: ANN201
    """A stand-in model: answers each of the three prompts from the tables above."""

    def handler(body: dict) -> str:
        system = body["messages"][0]["content"]
        user = last_user_message(body)
        if "into sentences" in system:
            return json.dumps(SENTENCES)
        if "INDICATION of a chest X-ray report" in system:
            return json.dumps(INDICATION)
        if user == broken_sentence:
            return '{"observations": [{"name": "opacity", '  # cut off mid-object
        return json.dumps(OBSERVATIONS[user])

    return handler


@pytest.fixture(scope="module")
def onto():  # noqa: ANN201
    return load_ontology()


def _pipeline(server: ChatServer, onto, tmp_path: Path) -> ReportPipeline:  # noqa: ANN001
    client = LLMClient(
        base_url=server.base_url, model="test", retries=0, timeout_s=10, cache_dir=tmp_path / "llm"
    )
    return ReportPipeline(onto, extractor="llm", llm=client, use_embeddings=False)


def test_prompts_are_few_shot_files() -> None:
    msgs = messages("step3_observations", "No effusion.")
    assert msgs[0]["role"] == "system" and msgs[-1] == {"role": "user", "content": "No effusion."}
    assert any(m["role"] == "assistant" for m in msgs)


def test_llm_extraction_builds_the_scene_graph(onto, tmp_path: Path) -> None:  # noqa: ANN001
    with ChatServer(model()) as server:
        sg = _pipeline(server, onto, tmp_path).build(REPORT)
        assert all(r["response_format"]["type"] == "json_schema" for r in server.requests)
        assert len(server.requests) == 5  # sentences, 3 observation sentences, indication
    assert isinstance(sg, SceneGraph) and sg.extras()["extractor"] == "llm"
    opacity = next(o for o in sg.observations.values() if "lung opacity" in o.obs_entities)
    assert opacity.changes == ["new"] and opacity.modifiers["texture"] == ["patchy"]
    assert [r.region for r in opacity.regions] == ["right lower lobe"]
    child = next(r for r in sg.obs_relations if r.parent_observation_id == opacity.obs_id)
    assert child.child_type == "suggestive_of"
    assert sg.observations[child.child_observation_id].probability == "probable"
    ptx = next(o for o in sg.observations.values() if "pneumothorax" in o.obs_entities)
    assert ptx.non_resolved_obs_entities == ["blorp sign"]
    assert ptx.obs_quality["entity_quality"] == "CONTAINS_NON_RESOLVED_ENTITIES"
    ind = sg.indication
    assert ind is not None and ind.evaluation == "Evaluate for pneumonia."
    assert ind.answer_for_indication is not None
    assert ind.answer_for_indication.name == "Right lower lobe pneumonia."
    assert "S99" not in ind.associated_sentence_ids  # an id the report does not have


def test_responses_are_cached_by_content(onto, tmp_path: Path) -> None:  # noqa: ANN001
    with ChatServer(model()) as server:
        pipeline = _pipeline(server, onto, tmp_path)
        pipeline.build(REPORT)
        n = len(server.requests)
        pipeline.build(REPORT)
        assert len(server.requests) == n


def test_invalid_json_reply_falls_back_to_rules_for_that_report(onto, tmp_path: Path) -> None:  # noqa: ANN001
    with ChatServer(model(broken_sentence="No pneumothorax.")) as server:
        sg = _pipeline(server, onto, tmp_path).build(REPORT)
    assert isinstance(sg, SceneGraph)
    assert sg.extras()["extractor"] == "rules (LLM fallback)"
    assert "not JSON" in sg.extras()["extraction_issues"][0]
    # The rule extractor read the same report.
    entities = {e for o in sg.observations.values() if o.from_report for e in o.obs_entities}
    assert {"pneumonia", "pneumothorax"} <= entities
