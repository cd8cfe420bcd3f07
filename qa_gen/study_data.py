"""What answer assembly needs of each study, read in one batch by three named queries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cxrkg.cypher.store import GraphStore
from cxrkg.qa_gen.scopes import (
    HARDWARE_SUBCATEGORIES,
    NORMAL_STATEMENT_ENTITIES,
    WHOLE_STUDY_REGIONS,
)


@dataclass
class StudyData:
    study_id: str
    patient_id: str
    study: dict[str, Any]
    images: list[dict[str, Any]]
    indication: dict[str, Any] | None
    previous_study_id: str | None
    obs: dict[str, dict[str, Any]] = field(default_factory=dict)
    regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # parent observation of each child, so answers nest children under their parents
    parent_of: dict[str, str] = field(default_factory=dict)
    # answers already built from observations, by (obs_id, answer type, level, ancestors):
    # a study answers the same observation under many questions (see answers.obs_answer)
    answer_cache: dict[tuple[Any, ...], dict[str, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )

    # The study's facts do not change once read: each derived value is computed once.
    @cached_property
    def quality(self) -> dict[str, Any]:
        """The scene graph's extraction quality (the study's `q_<criterion>` properties)."""
        return {
            k[2:]: v for k, v in sorted(self.study.items()) if k.startswith("q_") and v is not None
        }

    @cached_property
    def unread_sentences(self) -> list[str]:
        """Report sentences that say something yet gave no observation: the extractor may
        have missed a finding in them (`uninterpreted_sentence_ids` of the scene graph)."""
        extra = self.study.get("extra_json")
        if not extra:
            return []
        try:
            return list(json.loads(extra).get("uninterpreted_sentence_ids") or [])
        except (ValueError, AttributeError):
            return []

    @cached_property
    def read(self) -> bool:
        """Whether the report was read: it gave observations and is interpretable. Only then
        does its silence about devices or artifacts answer "none"."""
        issue = self.study.get("q_issue_level")
        return issue not in ("NON_INTERPRETABLE", "DISCARDED") and any(
            (o.get("obs") or {}).get("from_report") and oid != "OIND" for oid, o in self.obs.items()
        )

    @cached_property
    def judged_normal(self) -> bool:
        """Whether the report calls the whole study normal, certainly ("No acute
        cardiopulmonary abnormality."): a statement of the chest, of no region, or of the
        heart and lungs together."""
        for o in self.obs.values():
            x = o.get("obs") or {}
            if (
                x.get("from_report")
                and x.get("positiveness") == "neg"
                and x.get("certainty") == "certain"
                and any(e in NORMAL_STATEMENT_ENTITIES for e in x.get("entities") or [])
            ):
                regions = set(x.get("regions") or [])
                if regions <= {"chest"} or set(WHOLE_STUDY_REGIONS) <= regions:
                    return True
        return False

    @cached_property
    def names_its_devices(self) -> bool:
        """Whether the report's silence about devices answers "none": it was read, and it
        describes no surgery that may leave hardware it does not name."""
        return self.read and not any(
            (o.get("obs") or {}).get("positiveness") == "pos"
            and any(
                sc in HARDWARE_SUBCATEGORIES
                for sc in (o.get("obs") or {}).get("subcategories") or []
            )
            for o in self.obs.values()
        )

    @property
    def top_level_order(self) -> list[str]:
        return list(self.study.get("top_level_obs_ids") or [])

    @cached_property
    def _rank(self) -> dict[str, int]:
        return {oid: i for i, oid in enumerate(self.top_level_order)}

    def order(self, obs_ids: list[str]) -> list[str]:
        """Report order: top-level order first, then by obs_id (children, defaults)."""
        rank = self._rank
        return sorted(dict.fromkeys(obs_ids), key=lambda o: (rank.get(o, len(rank)), o))


def read_studies(store: GraphStore, study_ids: list[str]) -> dict[str, StudyData]:
    """StudyData for every study of the batch that exists in the graph."""
    params = {"study_ids": study_ids}
    out: dict[str, StudyData] = {}
    for row in store.run_named("qa/study_context", params, read_only=True):
        ind = row["indications"][0] if row["indications"] else None
        out[row["study_id"]] = StudyData(
            study_id=row["study_id"],
            patient_id=row["patient_id"] or "",
            study=row["study"],
            images=sorted(row["images"], key=lambda i: i.get("image_id") or ""),
            indication=ind,
            previous_study_id=row["previous_study_id"],
        )
    for row in store.run_named("qa/observations", params, read_only=True):
        sd = out.get(row["study_id"])
        if sd is None:
            continue
        rec = dict(row)
        rec["children"] = sorted(row["children"], key=lambda c: c["obs_id"])
        rec["localization"] = _boxes(row["localization"])
        sd.obs[row["obs_id"]] = rec
        for child in rec["children"]:
            sd.parent_of.setdefault(child["obs_id"], row["obs_id"])
    for row in store.run_named("qa/regions", params, read_only=True):
        sd = out.get(row["study_id"])
        if sd is not None:
            for rec in row["regions"]:
                rec["study_id"] = row["study_id"]
                rec["localization"] = _boxes(rec["localization"])
                sd.regions[rec["region"]] = rec
    return out


def _boxes(localization: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Boxes per image in image order, their coordinates floats as stored: the queries send
    them as JSON, which writes a whole float without its fraction (1429.0 as 1429)."""
    for loc in localization:
        if loc.get("bboxes_flat") is not None:
            loc["bboxes_flat"] = [float(c) for c in loc["bboxes_flat"]]
    return sorted(localization, key=lambda loc: loc["image_id"])
