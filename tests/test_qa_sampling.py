"""Seeded sampling of extra regions and findings: reproducible, independent of batching,
and weighted towards concepts that are mostly positive across the graph."""

from __future__ import annotations

from cxrkg.qa_gen.sampling import (
    DEFAULT_FINDINGS,
    SamplingWeights,
    read_weights,
    study_rng,
    study_targets,
)


def counts(kind: str, name: str, pos: int, neg: int) -> dict:
    return {"kind": kind, "name": name, "positive": pos, "negative": neg}


def test_mostly_positive_findings_are_sampled_more_often_than_mostly_negative_ones():
    w = SamplingWeights.from_counts(
        [
            counts("finding", "mass", 40, 2),
            counts("finding", "hernia", 2, 40),
            counts("region", "left lung", 10, 10),
        ]
    )
    assert w.findings["mass"] > 5 * w.findings["hernia"]
    mention = {
        "study_id": "",
        "regions": [],
        "region_parents": [],
        "region_ontology_parents": [],
        "entities": [],
        "entity_parents": [],
        "entity_ontology_parents": [],
    }
    picked = {"mass": 0, "hernia": 0}
    for i in range(400):
        t = study_targets(
            {**mention, "study_id": f"s{i}"},
            SamplingWeights(findings={"mass": 0.6, "hernia": 0.05}),
            seed=0,
        )
        for name in t.sampled_findings:
            picked[name] += 1
    assert picked["mass"] > 3 * picked["hernia"] > 0


def test_sampling_depends_only_on_seed_and_study():
    w = SamplingWeights(findings={f"f{i}": 0.3 for i in range(30)})
    mention = {
        "study_id": "s1",
        "regions": [["lungs"]],
        "region_parents": [],
        "region_ontology_parents": [],
        "entities": [["pleural effusion"]],
        "entity_parents": [],
        "entity_ontology_parents": [],
    }
    a = study_targets(mention, w, seed=5)
    assert a == study_targets(dict(mention), w, seed=5)
    assert a.sampled_findings != study_targets(mention, w, seed=6).sampled_findings
    assert study_rng(1, "s1").random() == study_rng(1, "s1").random()
    # defaults and mentions always come first and are never sampled again
    assert a.findings[: len(DEFAULT_FINDINGS)] == list(DEFAULT_FINDINGS)
    assert not set(a.sampled_findings) & set(DEFAULT_FINDINGS)


def test_sampling_weights_come_from_one_aggregate_query_over_the_graph(store):
    from cxrkg.ingest.load import load_scene_graphs
    from cxrkg.ingest.model import SceneGraph

    def sg(sid: str, prob: str, pos: str) -> SceneGraph:
        return SceneGraph.model_validate(
            {
                "patient_id": "p1",
                "study_id": sid,
                "top_level_obs_ids": ["O01"],
                "observations": {
                    "O01": {
                        "obs_id": "O01",
                        "name": "x",
                        "obs_entities": ["mass"],
                        "probability": prob,
                        "certainty": "certain",
                        "positiveness": pos,
                        "regions": [{"region": "left lung"}],
                    }
                },
                "regions": {"left lung": {"region": "left lung"}},
                "located_at_relations": [{"region": "left lung", "observation_id": "O01"}],
            }
        )

    load_scene_graphs(
        store,
        [sg("s1", "positive", "pos"), sg("s2", "positive", "pos"), sg("s3", "negative", "neg")],
        progress=False,
    )
    rows = {
        (r["kind"], r["name"]): (r["positive"], r["negative"])
        for r in store.run_named("qa/sampling_stats", {}, read_only=True)
    }
    assert rows[("finding", "mass")] == (2, 1)
    assert rows[("region", "left lung")] == (2, 1)
    w = read_weights(store)
    assert 0 < w.findings["mass"] <= 1
