"""The LLM extractor: QBA's three extraction steps as few-shot prompts (files in `prompts/`)
against any OpenAI-compatible endpoint, JSON-schema constrained; a report whose model output
is invalid falls back to the rule extractor, and the fallback is recorded.

Tested against a local chat-completions server; not yet run against a real model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from cxrkg.config import Settings, get_settings
from cxrkg.ingest.extract.records import (
    ExtractedSentence,
    Extraction,
    RawIndication,
    RawObservation,
)
from cxrkg.ingest.extract.sections import FINDING_SECTIONS, SECTION_TYPES
from cxrkg.llm import LLMClient, LLMError

SECTIONS = [
    "EXAMINATION",
    "INDICATION",
    "TECHNIQUE",
    "COMPARISON",
    "FINDINGS",
    "IMPRESSION",
    "OTHER",
]
_STR_LIST = {"type": "array", "items": {"type": "string"}}
_MODIFIERS = {
    "type": "object",
    "properties": {k: _STR_LIST for k in ("temporal", "severity", "texture", "spread")},
}


def _observation_schema(with_children: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": {"type": "string"},
        "summary_sentence": {"type": "string"},
        "entity": _STR_LIST,
        "regions": _STR_LIST,
        "probability": {"type": "string"},
        "modifiers": _MODIFIERS,
        "change": _STR_LIST,
        "change_sentence": {"type": ["string", "null"]},
    }
    if with_children:
        props["children"] = {"type": "array", "items": _observation_schema(False)}
    else:
        props["child_type"] = {"type": "string"}
    return {"type": "object", "properties": props, "required": ["name", "entity", "probability"]}


SENTENCES_SCHEMA = {
    "type": "object",
    "properties": {
        "sentences": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "sentence": {"type": "string"},
                    "section": {"enum": SECTIONS},
                    "related": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["sentence", "section"],
            },
        }
    },
    "required": ["sentences"],
}
INDICATION_SCHEMA = {
    "type": "object",
    "properties": {
        "indication_summary": {"type": ["string", "null"]},
        "patient_info": {"type": ["string", "null"]},
        "indication": {"type": ["string", "null"]},
        "evaluation": {"type": ["string", "null"]},
        "associated_sentence_ids": _STR_LIST,
        "answer_for_indication": {"type": ["string", "null"]},
        "asked_entities": _STR_LIST,
    },
    "required": ["indication_summary", "associated_sentence_ids", "answer_for_indication"],
}
OBSERVATIONS_SCHEMA = {
    "type": "object",
    "properties": {"observations": {"type": "array", "items": _observation_schema(True)}},
    "required": ["observations"],
}


@cache
def load_prompt(name: str) -> dict[str, Any]:
    """A few-shot prompt file of `cxrkg.ingest.extract/prompts/` (system text + examples)."""
    text = (
        resources.files("cxrkg.ingest.extract")
        .joinpath("prompts", f"{name}.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


def messages(prompt: str, user_input: str) -> list[dict[str, str]]:
    """System prompt, the few-shot examples as user/assistant turns, then the input."""
    p = load_prompt(prompt)
    out = [{"role": "system", "content": p["system"]}]
    for ex in p.get("examples", []):
        out.append({"role": "user", "content": ex["input"]})
        out.append({"role": "assistant", "content": json.dumps(ex["output"])})
    out.append({"role": "user", "content": user_input})
    return out


class InvalidExtraction(LLMError):
    """The model's JSON parsed but says something unusable (e.g. no sentences)."""


class LLMExtractor:
    """Runs the three QBA steps for one report at a time (observations batched per report)."""

    def __init__(self, llm: LLMClient | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.llm = llm or LLMClient(self.settings)
        self.fallbacks = 0

    def extract(self, report: Any, fallback: Callable[[Any], Extraction]) -> Extraction:
        """The LLM's extraction, or the rule extraction with the reason when it fails."""
        try:
            return self._extract(report)
        except LLMError as exc:
            self.fallbacks += 1
            out = fallback(report)
            out.extractor = "rules (LLM fallback)"
            out.issues.append(f"LLM output unusable, rule extractor used: {exc}"[:500])
            return out

    def _report_text(self, report: Any) -> str:
        if report.sections is not None:
            return "\n".join(f"{name}: {text}" for name, text in report.sections)
        return report.text or ""

    def _extract(self, report: Any) -> Extraction:
        step1 = self.llm.chat_json(
            messages("step1_sentences", self._report_text(report)), SENTENCES_SCHEMA
        )
        items = [s for s in step1["sentences"] if s.get("sentence", "").strip()]
        if not items:
            raise InvalidExtraction("the model returned no sentences")
        sentences = []
        for i, s in enumerate(items, start=1):
            section = s["section"]
            sentences.append(
                ExtractedSentence(
                    f"S{i:02d}", section, SECTION_TYPES.get(section, section), s["sentence"]
                )
            )
        finding = [s for s in sentences if s.section_type in FINDING_SECTIONS]
        replies = self.llm.map_json(
            [(messages("step3_observations", s.text), OBSERVATIONS_SCHEMA) for s in finding]
        )
        for sent, reply in zip(finding, replies, strict=True):
            if isinstance(reply, Exception):
                raise reply
            sent.observations = [RawObservation.from_json(o) for o in reply["observations"]]
        indication = None
        ind_text = " ".join(s.text for s in sentences if s.section_type == "INDICATION")
        if ind_text:
            listing = "\n".join(f"{s.sent_id}: {s.text}" for s in finding)
            data = self.llm.chat_json(
                messages("step2_indication", f"INDICATION: {ind_text}\nSENTENCES:\n{listing}"),
                INDICATION_SCHEMA,
            )
            known = {s.sent_id for s in sentences}
            indication = RawIndication(
                indication_summary=data.get("indication_summary"),
                patient_info=data.get("patient_info"),
                indication=data.get("indication"),
                evaluation=data.get("evaluation"),
                associated_sentence_ids=[
                    i for i in data.get("associated_sentence_ids", []) if i in known
                ],
                answer_for_indication=data.get("answer_for_indication"),
                asked_entities=list(data.get("asked_entities") or []),
            )
        return Extraction(sentences=sentences, indication=indication, extractor="llm")
