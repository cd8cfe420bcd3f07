"""What an extractor hands to graph construction: sentences, per-sentence raw observations in
QBA's extraction JSON shape (free-text fields, not yet mapped) and the indication."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawObservation:
    """One observation as an extractor states it (the QBA step-3 JSON, one object)."""

    name: str
    summary_sentence: str = ""
    entity: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    probability: str = "positive"
    modifiers: dict[str, list[str]] = field(default_factory=dict)
    change: list[str] = field(default_factory=list)
    change_sentence: str | None = None
    laterality: str | None = None
    child_type: str | None = None
    children: list[RawObservation] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RawObservation:
        def as_list(v: Any) -> list[str]:
            if v is None:
                return []
            return [str(x) for x in v] if isinstance(v, list) else [str(v)]

        mods = data.get("modifiers") or {}
        return cls(
            name=str(data.get("name") or ""),
            summary_sentence=str(data.get("summary_sentence") or ""),
            entity=as_list(data.get("entity")),
            regions=as_list(data.get("regions")),
            probability=str(data.get("probability") or "positive"),
            modifiers={str(k): as_list(v) for k, v in mods.items()}
            if isinstance(mods, dict)
            else {},
            change=as_list(data.get("change")),
            change_sentence=data.get("change_sentence") or None,
            laterality=data.get("laterality") or None,
            child_type=data.get("child_type") or None,
            children=[cls.from_json(c) for c in data.get("children") or [] if isinstance(c, dict)],
        )


@dataclass
class ExtractedSentence:
    sent_id: str
    section: str
    section_type: str
    text: str
    observations: list[RawObservation] = field(default_factory=list)


@dataclass
class RawIndication:
    indication_summary: str | None = None
    patient_info: str | None = None
    indication: str | None = None
    evaluation: str | None = None
    associated_sentence_ids: list[str] = field(default_factory=list)
    answer_for_indication: str | None = None
    # Finding names the indication asks about (mapped later), e.g. ["pneumonia"].
    asked_entities: list[str] = field(default_factory=list)


@dataclass
class Extraction:
    """Everything an extractor found in one report."""

    sentences: list[ExtractedSentence]
    indication: RawIndication | None = None
    extractor: str = "rules"
    # Problems met on the way (e.g. the LLM's invalid output that forced the rule fallback).
    issues: list[str] = field(default_factory=list)
