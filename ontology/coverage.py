"""How much of PadChest's label vocabulary the ontology covers (labels and localizations).

Every distinct label of the PadChest CSV in the torchxrayvision wheel is looked up: by a
concept's own name (exact), through a synonym, as a known non-finding value (a change value,
a laterality or extent qualifier, an annotation marker), or not at all.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field

from cxrkg.ontology.model import Ontology, normalize
from cxrkg.ontology.values import CHANGES

# PadChest localizations that say which side or how far, not where: they map to laterality
# and spread modifiers, never to a region.
QUALIFIERS = {"right", "left", "bilateral", "central", "diffuse bilateral"}
# PadChest labels that are annotation markers, not findings.
MARKERS = {"exclude": "PadChest annotation marker (exclude the image)"}
MIN_COUNT_GOAL = 20


@dataclass(frozen=True)
class Match:
    text: str
    count: int
    how: str  # exact | synonym | value | unmatched
    concept: str | None = None
    note: str = ""


@dataclass
class CoverageReport:
    source: str
    labels: list[Match] = field(default_factory=list)
    localizations: list[Match] = field(default_factory=list)

    @staticmethod
    def shares(matches: list[Match]) -> dict[str, dict[str, float]]:
        """Per match kind: share of distinct terms and share of occurrences."""
        total = len(matches) or 1
        weight = sum(m.count for m in matches) or 1
        out = {}
        for how in ("exact", "synonym", "value", "unmatched"):
            sel = [m for m in matches if m.how == how]
            out[how] = {
                "terms": len(sel),
                "share": round(len(sel) / total, 4),
                "occurrence_share": round(sum(m.count for m in sel) / weight, 4),
            }
        return out

    def frequent_unmatched(self, min_count: int = MIN_COUNT_GOAL) -> list[Match]:
        return [
            m
            for m in self.labels + self.localizations
            if m.how == "unmatched" and m.count >= min_count
        ]

    def summary(self) -> str:
        lines = [f"PadChest coverage ({self.source})"]
        for title, matches in (("labels", self.labels), ("localizations", self.localizations)):
            lines.append(f"{title}: {len(matches)} distinct")
            for how, s in self.shares(matches).items():
                lines.append(
                    f"  {how:<9} {s['terms']:>4} terms  {s['share']:>7.1%} of terms  "
                    f"{s['occurrence_share']:>7.1%} of occurrences"
                )
            for m in matches:
                if m.how == "unmatched":
                    lines.append(f"    unmatched: {m.text!r} ({m.count})")
        frequent = self.frequent_unmatched()
        lines.append(f"terms occurring {MIN_COUNT_GOAL}+ times left unmatched: {len(frequent)}")
        return "\n".join(lines)


def _parse_list(cell: object) -> list[str]:
    if not isinstance(cell, str) or not cell.startswith("["):
        return []
    try:
        return [str(x).strip() for x in ast.literal_eval(cell)]
    except (ValueError, SyntaxError):
        return []


def padchest_vocabulary() -> tuple[Counter[str], Counter[str]]:
    """Distinct PadChest labels and localizations with their occurrence counts."""
    import pandas as pd

    from cxrkg.ingest.sources.txv_wheel import PADCHEST_LABELS, open_member

    with open_member(PADCHEST_LABELS) as fh:
        df = pd.read_csv(
            fh, compression="gzip", usecols=["Labels", "Localizations"], low_memory=False
        )
    labels: Counter[str] = Counter()
    locs: Counter[str] = Counter()
    for cell in df["Labels"]:
        labels.update(x for x in _parse_list(cell) if x)
    for cell in df["Localizations"]:
        locs.update(x for x in _parse_list(cell) if x)
    return labels, locs


def match_term(onto: Ontology, text: str, count: int, kind: str) -> Match:
    term = text.removeprefix("loc ").strip() if kind == "region" else text
    key = normalize(term)
    concept = onto.get(term, kind)
    if concept is not None:
        how = "exact" if key == normalize(concept.name) else "synonym"
        return Match(text, count, how, concept.name)
    if kind == "finding" and term.lower() in CHANGES:
        return Match(text, count, "value", note="change value")
    if kind == "finding" and term.lower() in MARKERS:
        return Match(text, count, "value", note=MARKERS[term.lower()])
    if kind == "region" and term.lower() in QUALIFIERS:
        return Match(text, count, "value", note="laterality/extent qualifier")
    return Match(text, count, "unmatched")


def coverage_padchest(onto: Ontology) -> CoverageReport:
    labels, locs = padchest_vocabulary()
    report = CoverageReport("torchxrayvision 1.5.7 PadChest labels file")
    report.labels = [match_term(onto, t, n, "finding") for t, n in labels.most_common()]
    report.localizations = [match_term(onto, t, n, "region") for t, n in locs.most_common()]
    return report
