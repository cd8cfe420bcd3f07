"""Report -> SceneGraph: sectioning, extraction (rules, or an LLM with a per-report rule
fallback), concept mapping and graph construction, one report at a time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from cxrkg.config import Settings, get_settings
from cxrkg.ingest.extract.build import GraphBuilder, RegionBox
from cxrkg.ingest.extract.indication import parse_indication
from cxrkg.ingest.extract.lexicon import Lexicon
from cxrkg.ingest.extract.records import ExtractedSentence, Extraction
from cxrkg.ingest.extract.rules import RuleExtractor
from cxrkg.ingest.extract.sections import (
    FINDING_SECTIONS,
    SentenceSpan,
    report_sentences,
    sentences_of_sections,
)
from cxrkg.ingest.mapping import ConceptMapper
from cxrkg.ingest.model import Image, Rejected, SceneGraph, validation_rejection


@dataclass
class ReportInput:
    """One report as a source read it: free text or already separated sections."""

    file: str
    study_id: str
    patient_id: str
    text: str | None = None
    sections: list[tuple[str, str]] | None = None
    images: dict[str, Image] = field(default_factory=dict)
    region_boxes: dict[str, dict[str, RegionBox]] | None = None
    source: str = "reports"
    study_fields: dict[str, Any] = field(default_factory=dict)


def sentence_spans(report: ReportInput) -> list[SentenceSpan]:
    if report.sections is not None:
        return sentences_of_sections(report.sections)
    return report_sentences(report.text or "")


class ReportPipeline:
    """Runs reports through extraction and construction against one ontology."""

    def __init__(
        self,
        onto: Any = None,
        settings: Settings | None = None,
        *,
        extractor: str = "rules",
        mapper: ConceptMapper | None = None,
        use_embeddings: bool = True,
        llm: Any = None,
    ) -> None:
        if onto is None:
            from cxrkg.ontology import load_ontology

            onto = load_ontology()
        self.settings = settings or get_settings()
        self.onto = onto
        self.mapper = mapper or ConceptMapper(onto, self.settings, use_embeddings=use_embeddings)
        self.lexicon = Lexicon.from_ontology(onto)
        self.rules = RuleExtractor(self.lexicon, region_ancestors=self._region_ancestors)
        self.builder = GraphBuilder(onto, self.mapper)
        self.extractor = extractor
        self._llm_extractor = None
        if extractor == "llm":
            from cxrkg.ingest.extract.llm_extract import LLMExtractor

            self._llm_extractor = LLMExtractor(llm, self.settings)
        elif extractor != "rules":
            raise ValueError(f"unknown extractor {extractor!r}: use 'rules' or 'llm'")

    def _region_ancestors(self, name: str) -> list[str]:
        try:
            return list(self.onto.ancestors(name))
        except KeyError:
            return []

    def extract_rules(self, report: ReportInput) -> Extraction:
        spans = sentence_spans(report)
        sentences: list[ExtractedSentence] = []
        indication_text: list[str] = []
        for i, span in enumerate(spans, start=1):
            sent = ExtractedSentence(f"S{i:02d}", span.section, span.section_type, span.text)
            if span.section_type in FINDING_SECTIONS:
                sent.observations = self.rules.extract(span.text)
            elif span.section_type == "INDICATION":
                indication_text.append(span.text)
            sentences.append(sent)
        indication = (
            parse_indication(" ".join(indication_text), self.lexicon) if indication_text else None
        )
        if indication is not None:
            indication.associated_sentence_ids = []
        return Extraction(sentences=sentences, indication=indication, extractor="rules")

    def extract(self, report: ReportInput) -> Extraction:
        if self._llm_extractor is not None:
            return self._llm_extractor.extract(report, fallback=self.extract_rules)
        return self.extract_rules(report)

    def build(
        self, report: ReportInput, extraction: Extraction | None = None
    ) -> SceneGraph | Rejected:
        """The report's scene graph, or a Rejected naming the file, study and field."""
        try:
            extraction = extraction or self.extract(report)
            empty = not any(s.section_type in FINDING_SECTIONS for s in extraction.sentences)
            if empty:
                # Kept, not rejected: the study and its images exist; its grade says there is
                # nothing to interpret.
                extraction.issues.append("the report has no FINDINGS or IMPRESSION text")
            sg = self.builder.build(
                extraction,
                patient_id=report.patient_id,
                study_id=report.study_id,
                images=dict(report.images),
                region_boxes=report.region_boxes,
                source=report.source,
                **report.study_fields,
            )
            if empty:
                sg.study_quality["issue_level"] = "NON_INTERPRETABLE"
            return sg.with_origin(report.file)
        except ValidationError as exc:
            return validation_rejection(exc, report.file, report.study_id)

    def run(self, reports: Iterable[ReportInput | Rejected]) -> Iterator[SceneGraph | Rejected]:
        for report in reports:
            yield report if isinstance(report, Rejected) else self.build(report)
