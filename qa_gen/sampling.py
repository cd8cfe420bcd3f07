"""Which regions and findings each study is asked about: defaults, mentions with their
parents, and seeded extras weighted towards concepts that are mostly positive."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from cxrkg.cypher.store import GraphStore
from cxrkg.qa_gen.scopes import askable_finding

DEFAULT_REGIONS: tuple[str, ...] = (
    "lungs",
    "left lung",
    "right lung",
    "heart",
    "mediastinum",
    "hila",
    "pleura",
    "pleural space",
    "bones",
    "abdomen",
)
# Regions every study is asked about devices in (C07/C08): the default regions and where
# lines, tubes and implanted devices sit.
DEVICE_REGIONS: tuple[str, ...] = (
    *DEFAULT_REGIONS,
    "trachea",
    "esophagus",
    "stomach",
    "svc",
    "right atrium",
    "neck",
    "chest wall",
    "left hemithorax",
    "right hemithorax",
    "left chest wall",
    "right chest wall",
    "left upper abdomen",
)
DEFAULT_FINDINGS: tuple[str, ...] = (
    "pleural effusion",
    "pneumothorax",
    "consolidation",
    "pulmonary edema",
    "cardiomegaly",
    "atelectasis",
    "lung opacity",
    "pneumonia",
    "nodule",
    "fracture",
)
# Expected number of sampled extras per study (regions, findings).
EXTRA_REGIONS = 3.0
EXTRA_FINDINGS = 3.0


def study_rng(seed: int, study_id: str, purpose: str = "") -> random.Random:
    """A generator that depends only on (seed, study, purpose): output does not change
    with batching or the number of workers."""
    digest = hashlib.sha256(f"{seed}\x1f{study_id}\x1f{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass
class SamplingWeights:
    """Graph-wide probability of asking about a concept as an extra, per kind."""

    regions: dict[str, float] = field(default_factory=dict)
    findings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_counts(cls, rows: list[dict[str, Any]]) -> SamplingWeights:
        """Weight (pos+1)/(neg+1): often positive and rarely negative concepts are asked
        about more, so negative questions appear for mostly-positive concepts."""
        raw: dict[str, dict[str, float]] = {"region": {}, "finding": {}}
        for row in rows:
            if row["kind"] in raw and row["name"]:
                raw[row["kind"]][row["name"]] = (row["positive"] + 1) / (row["negative"] + 1)

        def scale(weights: dict[str, float], expected: float) -> dict[str, float]:
            total = sum(weights.values())
            if not total:
                return {}
            return {k: min(1.0, expected * w / total) for k, w in sorted(weights.items())}

        return cls(scale(raw["region"], EXTRA_REGIONS), scale(raw["finding"], EXTRA_FINDINGS))


def read_weights(store: GraphStore) -> SamplingWeights:
    return SamplingWeights.from_counts(store.run_named("qa/sampling_stats", {}, read_only=True))


def _sample(weights: dict[str, float], rng: random.Random, skip: set[str]) -> list[str]:
    # Draw for every concept in a fixed order so the result depends on the seed only.
    return [name for name, p in weights.items() if rng.random() < p and name not in skip]


def _flat(values: list[Any]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(_flat(v) if isinstance(v, list) else [v] if v else [])
    return out


@dataclass
class Targets:
    regions: list[str]
    findings: list[str]
    sampled_regions: list[str]
    sampled_findings: list[str]


def study_targets(mentions: dict[str, Any], weights: SamplingWeights, seed: int) -> Targets:
    """Defaults + mentioned (+ parents) + seeded extras for one study's `qa/mentions` row."""
    sid = mentions["study_id"]
    regions = list(
        dict.fromkeys(
            [
                *DEVICE_REGIONS,
                *_flat(mentions["regions"]),
                *_flat(mentions["region_parents"]),
                *_flat(mentions["region_ontology_parents"]),
            ]
        )
    )
    findings = list(
        dict.fromkeys(
            [
                *DEFAULT_FINDINGS,
                *_flat(mentions["entities"]),
                *_flat(mentions["entity_parents"]),
                *_flat(mentions["entity_ontology_parents"]),
            ]
        )
    )
    findings = [f for f in findings if askable_finding(f)]
    extra_r = _sample(weights.regions, study_rng(seed, sid, "regions"), set(regions))
    extra_f = [
        f
        for f in _sample(weights.findings, study_rng(seed, sid, "findings"), set(findings))
        if askable_finding(f)
    ]
    return Targets(regions + extra_r, findings + extra_f, extra_r, extra_f)
