"""Report layout: section headings (MIMIC `FINAL REPORT`, inline `IMPRESSION:`), unwrapping
of hard-wrapped lines, and sentence splitting that survives numbered lists, decimals,
abbreviations and de-identification tokens (`XXXX`, `___`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Heading text (upper case, as written) -> section type. Anything else in capitals with a
# colon at a line start is kept as its own section with type OTHER.
SECTION_TYPES: dict[str, str] = {
    "EXAMINATION": "EXAMINATION",
    "EXAM": "EXAMINATION",
    "STUDY": "EXAMINATION",
    "PROCEDURE": "EXAMINATION",
    "TYPE OF EXAMINATION": "EXAMINATION",
    "INDICATION": "INDICATION",
    "INDICATIONS": "INDICATION",
    "HISTORY": "INDICATION",
    "CLINICAL HISTORY": "INDICATION",
    "CLINICAL INDICATION": "INDICATION",
    "REASON FOR EXAM": "INDICATION",
    "REASON FOR EXAMINATION": "INDICATION",
    "CLINICAL INFORMATION": "INDICATION",
    "CLINICAL DATA": "INDICATION",
    "TECHNIQUE": "TECHNIQUE",
    "COMPARISON": "COMPARISON",
    "COMPARISONS": "COMPARISON",
    "FINDINGS": "FINDINGS",
    "FINDING": "FINDINGS",
    "REPORT": "FINDINGS",
    "IMPRESSION": "IMPRESSION",
    "IMPRESSIONS": "IMPRESSION",
    "CONCLUSION": "IMPRESSION",
    "CONCLUSIONS": "IMPRESSION",
    "SUMMARY": "IMPRESSION",
    "OPINION": "IMPRESSION",
    "NOTIFICATION": "NOTIFICATION",
    "RECOMMENDATION": "RECOMMENDATION",
    "RECOMMENDATIONS": "RECOMMENDATION",
    "WET READ": "WET READ",
    "ADDENDUM": "ADDENDUM",
}
# Sections whose sentences carry observations.
FINDING_SECTIONS = ("FINDINGS", "IMPRESSION")

_HEADING = re.compile(
    r"(?:(?<=\n)|(?<=^)|(?<=[.;]\s)|(?<=[.;]))[ \t]*([A-Z][A-Z /&()-]{1,40}?)\s*:", re.MULTILINE
)


@dataclass(frozen=True)
class Section:
    name: str  # the heading as written (upper case), or FINDINGS for headless text
    section_type: str
    text: str


@dataclass(frozen=True)
class SentenceSpan:
    section: str
    section_type: str
    text: str


def unwrap(text: str) -> str:
    """Join hard-wrapped lines; keep breaks before list items and blank-line paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = re.split(r"\n\s*\n", text)
    out = []
    for para in paragraphs:
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        joined = ""
        for ln in lines:
            if joined and (re.match(r"^(\d{1,2}[.)]|[-*\u2022])\s", ln) or joined.endswith(":")):
                joined += "\n" + ln
            else:
                joined = f"{joined} {ln}" if joined else ln
        if joined:
            out.append(joined)
    return "\n".join(out)


def split_sections(text: str) -> list[Section]:
    """Sections of a report in order. Text before the first heading (MIMIC's `FINAL REPORT`
    banner) is dropped when it is only a banner; a report without headings is FINDINGS."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    matches = [m for m in _HEADING.finditer(text) if _is_heading(m.group(1))]
    sections: list[Section] = []
    head = text[: matches[0].start()] if matches else text
    head_clean = re.sub(r"\bFINAL REPORT\b", "", head).strip()
    if head_clean:
        sections.append(Section("FINDINGS", "FINDINGS", unwrap(head_clean)))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = unwrap(text[m.end() : end])
        name = re.sub(r"\s+", " ", m.group(1).strip())
        if body:
            sections.append(Section(name, SECTION_TYPES.get(name, "OTHER"), body))
    return sections


def _is_heading(word: str) -> bool:
    word = re.sub(r"\s+", " ", word.strip())
    # Known headings anywhere; unknown ones only if they look like headings (2+ letters, caps).
    return word in SECTION_TYPES or (
        len(word) >= 4
        and word.isupper()
        and len(word.split()) <= 4
        and not re.search(r"\bXXXX\b", word)
    )


_ABBREV = (
    "dr",
    "mr",
    "mrs",
    "ms",
    "e.g",
    "i.e",
    "approx",
    "vs",
    "st",
    "fig",
    "cm",
    "mm",
    "etc",
    "resp",
    "pt",
    "pts",
    "hx",
    "sp",
    "incl",
)
# A sentence ends at . ! ? before a capital, a digit or a quote; after a word of two or more
# letters also before a lower-case word ("No effusions. cardiomegaly." is two sentences;
# abbreviations such as "vs." are joined back below).
_SPLIT = re.compile(
    r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])|(?<=[a-z]{2}\.)(?=[A-Z][a-z])"
    r"|(?<=[A-Za-z]{2}\.)\s+(?=[a-z]{3,})|\n+"
)
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022])\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences of one section's text, list markers removed, whitespace collapsed."""
    pieces: list[str] = []
    for chunk in _SPLIT.split(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        # Re-join a split that followed an abbreviation ("Dr. X", "approx. 2 cm", "No. 2").
        if pieces and _ends_with_abbrev(pieces[-1]) and not _LIST_MARK.match(chunk):
            pieces[-1] = f"{pieces[-1]} {chunk}"
        else:
            pieces.append(chunk)
    out = []
    for piece in pieces:
        piece = _LIST_MARK.sub("", piece)
        # Inline numbered lists: "1. No effusion. 2. Small nodule." split above already;
        # "...effusion 2. Small nodule" (missing period) splits here.
        for part in re.split(r"\s+(?=\d{1,2}[.)]\s+[A-Z])", piece):
            part = re.sub(r"\s+", " ", _LIST_MARK.sub("", part)).strip()
            if part and re.search(r"[A-Za-z]{2}", part):
                out.append(part)
    return out


def _ends_with_abbrev(text: str) -> bool:
    m = re.search(r"([A-Za-z.]+)\.$", text)
    if not m:
        return False
    word = m.group(1).lower()
    # A bare number list marker ("1.") is not an abbreviation; single capitals are initials.
    return word in _ABBREV or (len(word) == 1 and word.isalpha())


def report_sentences(text: str) -> list[SentenceSpan]:
    """Sectioned sentences of a free-text report, in order."""
    return [
        SentenceSpan(sec.name, sec.section_type, s)
        for sec in split_sections(text)
        for s in split_sentences(sec.text)
    ]


def sentences_of_sections(sections: list[tuple[str, str]]) -> list[SentenceSpan]:
    """Sentences of already separated sections (IU XML): (heading, text) pairs."""
    out = []
    for name, body in sections:
        name = name.strip().upper()
        for s in split_sentences(unwrap(body)):
            out.append(SentenceSpan(name, SECTION_TYPES.get(name, "OTHER"), s))
    return out
