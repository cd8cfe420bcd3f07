"""The INDICATION section by rules: a cleaned summary, patient info (age, sex), the clinical
indication, the requested evaluation, and the findings it asks about."""

from __future__ import annotations

import re

from cxrkg.ingest.extract.lexicon import Lexicon, tokenize
from cxrkg.ingest.extract.records import RawIndication

_EVAL = re.compile(
    r"(?:\beval(?:uate|uation)?\.?(?: for| of)?|\br/o\b|\brule out\b|\bassess(?:ment)?"
    r"(?: for| of)?|\bconcern for\b|\bquery\b|\bro\b|\?\s*)",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"\b(\d{1,3})[- ]?(?:y/?o|yo|yr|year[- ]old|years? old)\b|\b(\d{1,3})\s?([MF])\b", re.IGNORECASE
)
_SEX = {
    "male": "Male",
    "man": "Male",
    "boy": "Male",
    "gentleman": "Male",
    "m": "Male",
    "female": "Female",
    "woman": "Female",
    "girl": "Female",
    "lady": "Female",
    "f": "Female",
}
_DEID_AGE = re.compile(r"\b(?:X{3,}|_{2,})[- ]?(?:year[- ]old|yo|y/o)\b", re.IGNORECASE)


def _clean(text: str) -> str:
    text = _DEID_AGE.sub("", text)
    text = re.sub(r"(^|\s)//\s*", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip(" .,:;-")
    return text


def _sentence(text: str) -> str:
    text = text.strip(" .,:;-")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def _questioned(text: str) -> str:
    """The phrase a question mark asks about: "Cough, fever. Pneumonia?" -> "Pneumonia"."""
    m = re.search(r"([^.,;?]+)\?", text)
    return m.group(1) if m else ""


def parse_indication(text: str, lexicon: Lexicon) -> RawIndication | None:
    """None when the report has no indication text."""
    clean = _clean(text)
    if not clean or re.fullmatch(r"(none|n/a|xxxx|_+)\.?", clean, re.IGNORECASE):
        return None
    low = clean.lower()
    sex = None
    for word in re.findall(r"[a-z]+", low):
        if word in _SEX and word not in ("m", "f"):
            sex = _SEX[word]
            break
    age = None
    m = _AGE.search(clean)
    if m:
        age = m.group(1) or m.group(2)
        if m.group(3) and sex is None:
            sex = _SEX[m.group(3).lower()]
    if sex is None and (m2 := re.search(r"(?:_{2,}|X{3,})\s?([MF])\b", text)):
        sex = _SEX[m2.group(1).lower()]
    parts = []
    if sex:
        parts.append(sex)
    if age:
        parts.append(f"{age} years old")
    patient_info = ", ".join(parts) + "." if parts else None

    ev = _EVAL.search(clean)
    evaluation = indication = None
    if ev:
        asked_text = clean[ev.end() :].strip(" .,:;?")
        before = clean[: ev.start()].strip(" .,:;/")
        evaluation = _sentence(f"Evaluate for {asked_text}") if asked_text else None
        indication = before or None
    else:
        asked_text = ""
        indication = clean
    if indication:
        indication = re.sub(
            r"^(?:(?:\d{1,3}[- ]?(?:y/?o|year[- ]old)|(?:_{2,}|X{3,})\s?[MF]|female|male|woman|man|[MF])\b"
            r"[\s,]*)+(?:with|w/|presenting with|s/p)?\s*",
            "",
            indication,
            flags=re.IGNORECASE,
        )
        indication = _sentence(indication) or None
    # Only a request names what is asked about ("evaluate for pneumonia", "pneumonia?"); a
    # history ("preop lumbar surgery", "positive TB test") is context, not a question.
    scope = asked_text or _questioned(clean)
    tokens = tokenize(scope)
    asked = list(dict.fromkeys(s.text for s in lexicon.find(tokens, scope) if s.kind == "finding"))
    return RawIndication(
        indication_summary=_sentence(clean),
        patient_info=patient_info,
        indication=indication,
        evaluation=evaluation,
        asked_entities=asked,
    )
