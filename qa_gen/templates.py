"""Wording of questions and template answers, read from `templates/questions.json`."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def templates() -> dict[str, dict[str, Any]]:
    path = resources.files("cxrkg.qa_gen") / "templates" / "questions.json"
    return json.loads(path.read_text(encoding="utf-8"))


class Wording:
    """Picks among a question's wordings from (seed, study, question type, variables) alone,
    so the pick does not depend on the order in which questions are made."""

    def __init__(self, seed: int, study_id: str):
        self.prefix = f"{seed}\x1f{study_id}"

    def pick(self, n: int, qtype: str, variables: dict[str, str]) -> int:
        key = "\x1f".join([self.prefix, qtype, *(f"{k}={v}" for k, v in sorted(variables.items()))])
        return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % n


def question_text(qtype: str, wording: Wording, **variables: str) -> str:
    """One of the question's wordings, picked by `wording`."""
    options = templates()[qtype]["question"]
    choice = (
        options[wording.pick(len(options), qtype, variables)] if len(options) > 1 else options[0]
    )
    return choice.format(**variables)


def answer_text(qtype: str, key: str, **variables: str) -> str:
    return templates()[qtype][key].format(**variables)


@lru_cache(maxsize=1)
def spoken_names() -> dict[str, Any]:
    """`templates/spoken.json`: acronyms, renamed concepts, subcategory phrases."""
    path = resources.files("cxrkg.qa_gen") / "templates" / "spoken.json"
    return json.loads(path.read_text(encoding="utf-8"))


def spoken(name: str) -> str:
    """An ontology name as a radiologist says it: `svc` -> `SVC`, `mass/nodule (not
    otherwise specified)` -> `mass or nodule`, `a/b` -> `a or b`."""
    data = spoken_names()
    name = data["names"].get(name, name)
    name = re.sub(r"\s*\([^)]*\)", "", name).replace("/", " or ")
    acronyms = set(data["acronyms"])
    return " ".join(w.upper() if w in acronyms else w for w in name.split())


def subcategory_words(subcat: str) -> dict[str, str]:
    """`LUNG_FIELD` -> {findings: `lung findings`, abnormal: `abnormal lung findings`}."""
    known = spoken_names()["subcategories"].get(subcat)
    if known:
        return dict(known)
    words = subcat.replace("_", " ").lower()
    return {"findings": f"{words} findings", "abnormal": f"abnormal {words} findings"}


def device_words(subcat: str | None) -> dict[str, str]:
    """All devices, or one device subcategory: `VASCULAR_LINES` -> `vascular lines or
    catheters`."""
    if subcat is None:
        return {"devices": "devices"}
    known = spoken_names()["device_subcategories"].get(subcat)
    return {"devices": known or subcat.replace("_", " ").lower()}


def join_words(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`, each name read as spoken (`svc` -> `SVC`)."""
    items = [spoken(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def located_regions(finding: str, regions: list[str]) -> list[str]:
    """The regions worth naming where a finding is: not one that only repeats the finding's
    own name ("the flattened diaphragm is located in the diaphragm", "the lung opacity is
    located in the lungs"). Words are compared singular, ignoring case."""

    def words(name: str) -> set[str]:
        return {w.removesuffix("s") for w in re.findall(r"[a-z0-9]+", name.lower())}

    own = words(finding) | words(spoken(finding))
    return [r for r in regions if not words(r) <= own]


def sentence(text: str) -> str:
    """Capitalised and ending in one full stop (a report's `abnormality. .` or `clear..` is
    tidied, and no space is left before a full stop or comma)."""
    text = re.sub(r"\s+([.,;:])", r"\1", text.strip())
    text = re.sub(r"([.!?])(?:\s*\.)+", r"\1", text)
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def head_word(noun: str) -> str:
    """The word a phrase agrees with: the last word before `of`/`with`/`in`
    (`signs of lung surgery` -> `signs`, `cardiac pacer with wires` -> `pacer`), else the
    last word (`mass or nodule` -> `nodule`)."""
    words = noun.lower().split()
    for i, w in enumerate(words):
        if w in ("of", "with", "in") and i > 0:
            words = words[:i]
            break
    return words[-1] if words else ""


def is_plural(noun: str) -> bool:
    """`lungs`, `support devices`, `hila`, `humeri`, `bullae` read as plurals; `thorax`,
    `pneumothorax`, `pancreas` not. Irregular words are listed in `spoken.json`."""
    data = spoken_names()
    head = head_word(noun)
    if head in data["plurals"]:
        return True
    if head in data["singulars"]:
        return False
    return head.endswith("s") and not head.endswith(("ss", "us", "is", "sis"))


def takes_article(noun: str) -> bool:
    """A singular countable thing takes `a`/`an` (`a nodule`, `a PICC`, `a hiatal hernia`);
    a mass noun does not (`atelectasis`, `suture material`, `pleural effusion`). The
    countable head words are listed in `spoken.json` (`count_nouns`)."""
    return not is_plural(noun) and head_word(noun) in spoken_names()["count_nouns"]


def concept_words(noun: str, key: str) -> dict[str, str]:
    """Template variables for a region or finding, with verb agreement (`the lungs are`) and
    the indefinite article where one is said (`a_finding`: `a nodule`, `atelectasis`).
    Ontology names read as spoken (`spoken`): `pulmonary edema or hazy opacity`, `the SVC`."""
    noun = spoken(noun)
    plural = is_plural(noun)
    first = noun.split()[0] if noun else ""
    # an acronym is read letter by letter: "an SVC", "a PICC"
    vowel = first[:1] in "AEFHILMNORSX" if first.isupper() else noun[:1].lower() in "aeiou"
    article = ("an " if vowel else "a ") if takes_article(noun) else ""
    return {
        key: noun,
        f"a_{key}": article + noun,
        "is": "are" if plural else "is",
        "Is": "Are" if plural else "Is",
        "Does": "Do" if plural else "Does",
        "has": "have" if plural else "has",
        "Has": "Have" if plural else "Has",
    }


def region_words(region: str) -> dict[str, str]:
    return concept_words(region, "region")
