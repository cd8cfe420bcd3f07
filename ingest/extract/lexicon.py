"""Finding and region mentions in a sentence: longest match of the ontology's surface forms
(labels, synonyms, abbreviations) over word tokens, with simple plurals."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'s)?|[,;:?()/]")


@dataclass(frozen=True)
class Token:
    text: str  # lower case
    start: int  # character offsets in the sentence
    end: int
    raw: str


@dataclass(frozen=True)
class Span:
    """A lexicon hit: tokens [start, end) name concept `name` of `kind`."""

    start: int
    end: int
    kind: str  # finding | region
    name: str
    text: str  # the words as written


def tokenize(text: str) -> list[Token]:
    return [
        Token(m.group(0).lower().removesuffix("'s"), m.start(), m.end(), m.group(0))
        for m in _TOKEN.finditer(text)
    ]


def key_of(text: str) -> str:
    """The matching key of a surface form: lower-case word tokens joined by single spaces."""
    return " ".join(t.text for t in tokenize(text) if t.text[0].isalnum())


def _onto_singular():  # noqa: ANN202 - the ontology's own plural rules, when it is installed
    try:
        from cxrkg.ontology.model import singular as onto_singular
    except ImportError:
        return None
    return onto_singular


def word_key(word: str) -> str:
    """One token as the lexicon stores it (the ontology's normalize: singular)."""
    fn = _ONTO_SINGULAR
    if fn is not None:
        return fn(word)
    return singular(word) or word


def singular(word: str) -> str | None:
    """A singular guess for a plural English (medical) word, or None."""
    if len(word) <= 3:
        return None
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("ses") and not word.endswith("sses"):
        return word[:-2] + "is"  # metastases -> metastasis, atelectases -> atelectasis
    if word.endswith(("xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("ices"):
        return word[:-4] + "ex"  # apices -> apex, vertices -> vertex
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return None


_ONTO_SINGULAR = _onto_singular()


class Lexicon:
    """Surface form key -> (concept name, kind), searched longest-first."""

    def __init__(self, entries: Mapping[str, tuple[str, str]]) -> None:
        self.entries: dict[str, tuple[str, str]] = {}
        for surface, value in entries.items():
            key = " ".join(word_key(w) for w in key_of(surface).split())
            # Very short keys ("pa", "ap") collide with view names and common words.
            if key and (len(key) > 2 or key.isupper()):
                self.entries.setdefault(key, value)
        self.max_len = max((k.count(" ") + 1 for k in self.entries), default=1)

    @classmethod
    def from_ontology(cls, onto: Any) -> Lexicon:
        entries: dict[str, tuple[str, str]] = {}
        for kind in ("finding", "region"):
            for surface, concept in onto.lexicon(kind).items():
                if not getattr(concept, "deprecated", False):
                    entries.setdefault(surface, (concept.name, kind))
        return cls(entries)

    def lookup(self, words: Iterable[str]) -> tuple[str, str] | None:
        words = [word_key(w) for w in words]
        hit = self.entries.get(" ".join(words))
        if hit is None and words:
            last = singular(words[-1])
            if last:
                hit = self.entries.get(" ".join([*words[:-1], last]))
        return hit

    def find(self, tokens: list[Token], text: str) -> list[Span]:
        """Non-overlapping longest matches, left to right."""
        spans: list[Span] = []
        i, n = 0, len(tokens)
        while i < n:
            if not tokens[i].text[0].isalnum():
                i += 1
                continue
            found = None
            for length in range(min(self.max_len, n - i), 0, -1):
                words = [t.text for t in tokens[i : i + length]]
                if not all(w[0].isalnum() for w in words):
                    continue
                hit = self.lookup(words)
                if hit:
                    found = (length, hit)
                    break
            if found:
                length, (name, kind) = found
                spans.append(
                    Span(
                        i,
                        i + length,
                        kind,
                        name,
                        text[tokens[i].start : tokens[i + length - 1].end],
                    )
                )
                i += length
            else:
                i += 1
        return spans
