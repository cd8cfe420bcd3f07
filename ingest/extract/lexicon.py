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
        # Two-letter abbreviations ("PE", "TB", "IJ") collide with common words and view
        # names ("pa", "ap") in lower case: they match only where written in capitals.
        self.capitals: dict[str, tuple[str, str]] = {}
        for surface, value in entries.items():
            key = " ".join(word_key(w) for w in key_of(surface).split())
            if len(key) > 2:
                self.entries.setdefault(key, value)
            elif len(key) == 2 and key.isalpha():
                self.capitals.setdefault(key.upper(), value)
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
        """Non-overlapping longest matches, left to right; a finding wins the words it shares
        with a region before it ("right chest tube" is a right-sided chest tube)."""
        return self._finding_over_region(self._greedy(tokens, text), tokens, text)

    def _finding_over_region(self, spans: list[Span], tokens: list[Token], text: str) -> list[Span]:
        # The region stays (it says where: "right basilar atelectasis" is at the right base),
        # overlapping the longer finding.
        out = list(spans)
        for k in range(len(out) - 1):
            r, f = out[k], out[k + 1]
            if r.kind != "region" or f.kind != "finding" or r.end != f.start:
                continue
            for cut in range(r.start + 1, r.end):
                hit = self.lookup([t.text for t in tokens[cut : f.end]])
                if hit and hit[1] == "finding":
                    out[k + 1] = Span(
                        cut,
                        f.end,
                        "finding",
                        hit[0],
                        text[tokens[cut].start : tokens[f.end - 1].end],
                    )
                    break
        return out

    def _greedy(self, tokens: list[Token], text: str) -> list[Span]:
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
            if not found and len(tokens[i].raw) == 2 and tokens[i].raw in self.capitals:
                found = (1, self.capitals[tokens[i].raw])
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
