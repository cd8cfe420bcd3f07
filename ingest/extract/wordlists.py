"""The rule extractor's word lists, read from the data files in `wordlists/` (one entry per
line, columns separated by `|`, lines starting with `#` are comments; see wordlists/README.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from cxrkg.ontology.values import MODIFIERS

FOLDER = Path(__file__).with_name("wordlists")


class WordListError(ValueError):
    """A word-list file that cannot be read; the message names the file and line."""


def rows(name: str, columns: int) -> list[tuple[str, ...]]:
    """The entries of `wordlists/<name>.txt`, each padded to `columns` fields."""
    path = FOLDER / f"{name}.txt"
    out: list[tuple[str, ...]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > columns or not parts[0]:
            raise WordListError(f"{path}:{n}: expected at most {columns} columns: {line!r}")
        out.append(tuple(parts + [""] * (columns - len(parts))))
    return out


def _phrase_table(entries: list[tuple[str, ...]]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """phrase words -> the entry (phrase first), for longest-match lookups."""
    return {tuple(e[0].split()): e for e in entries}


@dataclass(frozen=True)
class WordLists:
    pre: dict[tuple[str, ...], tuple[str, ...]]
    post: dict[tuple[str, ...], tuple[str, ...]]
    pseudo: dict[tuple[str, ...], tuple[str, ...]]
    hedges: frozenset[str]
    changes: dict[tuple[str, ...], tuple[str, ...]]
    children: dict[tuple[str, ...], tuple[str, ...]]
    terminators: frozenset[str]
    statement_words: frozenset[str]
    list_connectors: frozenset[str]
    alternatives: frozenset[str]
    breakers: frozenset[str]
    copulas: frozenset[str]
    aspect_nouns: frozenset[str]
    laterality: dict[str, str]
    implied_regions: dict[str, tuple[str, ...]]
    modifiers: dict[str, tuple[str, str]]  # surface -> (type, value)
    preposition_gap: frozenset[str]
    normal_aspects: dict[str, str]
    normal_predicates: dict[tuple[str, ...], tuple[str, ...]]
    normal_scopes: dict[str, tuple[str, ...]]
    boilerplate: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    change_words: frozenset[str] = field(default=frozenset())

    @property
    def max_modifier_words(self) -> int:
        return max(k.count(" ") + 1 for k in self.modifiers)


def _modifiers() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for mtype, values in MODIFIERS.items():
        for v in values:
            out[v.replace("-", " ")] = (mtype, v)
    for alias, canon in rows("modifier_aliases", 2):
        mtype = next((t for t, vals in MODIFIERS.items() if canon in vals), None)
        if mtype is None:
            raise WordListError(f"modifier_aliases.txt: {canon!r} is not a QBA modifier value")
        out[alias] = (mtype, canon)
    return out


@cache
def load() -> WordLists:
    clause: dict[str, set[str]] = {}
    for kind, word in rows("clause", 2):
        clause.setdefault(kind, set()).add(word)
    lateral = rows("laterality", 3)
    changes = rows("changes", 2)
    return WordLists(
        pre=_phrase_table(rows("pre_triggers", 2)),
        post=_phrase_table(rows("post_triggers", 2)),
        pseudo=_phrase_table(rows("pseudo_negation", 1)),
        hedges=frozenset(w for (w,) in rows("hedges", 1)),
        changes=_phrase_table(changes),
        children=_phrase_table(rows("child_connectors", 3)),
        terminators=frozenset(clause.get("terminator", ())),
        statement_words=frozenset(clause.get("statement", ())),
        list_connectors=frozenset(clause.get("list", ())),
        alternatives=frozenset(clause.get("alternative", ())),
        breakers=frozenset(clause.get("breaker", ())),
        copulas=frozenset(clause.get("copula", ())),
        aspect_nouns=frozenset(clause.get("aspect", ())),
        laterality={w: side for w, side, _ in lateral},
        implied_regions={
            w: tuple(r.strip() for r in regs.split(";") if r.strip())
            for w, _, regs in lateral
            if regs
        },
        modifiers=_modifiers(),
        preposition_gap=frozenset(w for (w,) in rows("preposition_gap", 1)),
        normal_aspects=dict(rows("normal_aspects", 2)),
        normal_predicates=_phrase_table(rows("normal_predicates", 1)),
        boilerplate=_phrase_table(rows("boilerplate", 1)),
        normal_scopes={
            w: tuple(r.strip() for r in regs.split(";") if r.strip())
            for w, regs in rows("normal_scopes", 2)
        },
        # change phrases worth flagging in a name or sentence (sentence_name_quality)
        change_words=frozenset(
            p
            for p, _ in changes
            if (" " in p or len(p) > 3)
            and p not in ("stable", "similar", "advanced", "reduced", "larger", "smaller")
        ),
    )
