"""Report extraction as Ray actors with the LLM extractor on a pool of servers (real local
chat-completions servers, one address where nothing listens), loaded by this process."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import pytest
from llm_server import ChatServer, last_user_message

from cxrkg.config import reset_settings
from cxrkg.ingest.graph_read import read_scene_graph
from cxrkg.ingest.sources.reports import ingest_reports

FINDINGS = [
    "pneumothorax",
    "pleural effusion",
    "consolidation",
    "cardiomegaly",
    "pulmonary edema",
    "atelectasis",
    "lung nodule",
    "rib fracture",
]
EMPTY_MODS = {"temporal": [], "severity": [], "texture": [], "spread": []}


def model(body: dict) -> str:
    """A stand-in model for any report made of 'No X.' and 'Y is present.' sentences."""
    system, user = body["messages"][0]["content"], last_user_message(body)
    if "into sentences" in system:
        text = user.split("FINDINGS:", 1)[1]
        sentences = [s.strip() + "." for s in text.split(".") if s.strip()]
        return json.dumps(
            {
                "sentences": [
                    {"sentence": s, "section": "FINDINGS", "related": []} for s in sentences
                ]
            }
        )
    negative = user.startswith("No ")
    entity = user.removeprefix("No ").removesuffix(".").removesuffix(" is present").lower()
    observation = {
        "name": entity,
        "summary_sentence": user,
        "entity": [entity],
        "regions": [],
        "probability": "negative" if negative else "positive",
        "modifiers": EMPTY_MODS,
        "change": [],
        "change_sentence": None,
        "children": [],
    }
    return json.dumps({"observations": [observation]})


@pytest.fixture()
def llm_pool(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Two live servers and a dead address as the endpoint pool; a model name of its own, so
    no earlier test's cached replies answer for them."""
    with ChatServer(model) as one, ChatServer(model) as two:
        monkeypatch.setenv(
            "CXRKG_LLM_BASE_URL", f"{one.base_url},http://127.0.0.1:9/v1,{two.base_url}"
        )
        monkeypatch.setenv("CXRKG_LLM_MODEL", f"pool-{uuid.uuid4().hex[:8]}")
        reset_settings()
        yield one, two
    monkeypatch.undo()
    reset_settings()


def test_reports_extracted_in_ray_actors_on_a_pool_of_llm_servers_load_the_one_process_graph(
    store, ray_cluster, llm_pool, tmp_path: Path
) -> None:  # noqa: ANN001
    reports = tmp_path / "reports.csv"
    with reports.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["study_id", "patient_id", "report"])
        for i, finding in enumerate(FINDINGS):
            present = FINDINGS[(i + 3) % len(FINDINGS)].capitalize()
            writer.writerow(
                [f"s9{i:03d}", f"p9{i:03d}", f"FINDINGS: No {finding}. {present} is present."]
            )
    ids = [f"s9{i:03d}" for i in range(len(FINDINGS))]

    on_ray = ingest_reports(store, reports, extractor="llm", executor="ray", progress=False)
    stored = {sid: read_scene_graph(store, sid) for sid in ids}
    one, two = llm_pool
    assert sorted(on_ray.loaded) == ids and on_ray.source == "reports (llm, on Ray)"
    # Both live servers answered (the dead address was set aside), nothing fell back to rules.
    assert one.requests and two.requests
    assert len(one.requests) + len(two.requests) == 3 * len(FINDINGS)
    assert {sg.extras()["extractor"] for sg in stored.values()} == {"llm"}

    store.clear()
    store.setup_schema()
    here = ingest_reports(store, reports, extractor="llm", progress=False)
    assert here.loaded == on_ray.loaded
    assert {sid: read_scene_graph(store, sid) for sid in ids} == stored
