"""The in-memory reference ontology: concepts, the normalized lexicon, and traversal.

`Ontology` is built from a list of `Concept`s (read from the OWL file by `owl_io`) and never
changes; curation produces a new file and a new `Ontology`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Literal

Kind = Literal["finding", "region"]
KINDS: tuple[str, ...] = ("finding", "region")

_PUNCT = re.compile(r"[^a-z0-9]+")
# Words whose final "s" is not a plural; singularizing them would merge unrelated forms.
_NOT_PLURAL = {
    "thorax",
    "pneumothorax",
    "hydrothorax",
    "is",
    "was",
    "as",
    "has",
    "this",
    "its",
    "bronchus",
    "pancreas",
    "status",
    "pectus",
    "fundus",
    "ileus",
    "situs",
    "humerus",
    "atlas",
    "axis",
    "stenosis",
    "sclerosis",
    "fibrosis",
    "kyphosis",
    "scoliosis",
    "lordosis",
    "osteoporosis",
    "tuberculosis",
    "bronchiectasis",
    "atelectasis",
    "asbestosis",
    "lipomatosis",
    "carcinomatosis",
    "osteolysis",
    "hyperostosis",
    "spondylosis",
    "arthrosis",
    "metastasis",
    "dorsal",
    "chilaiditi",
    "diabetes",
    "us",
    "gas",
    "sinus",
    "thymus",
    "plus",
    "previous",
    "vas",
    "cirrhosis",
    "mucus",
    "pes",
    "bullous",
    "nodulous",
    "emphysematous",
    "tuberculous",
    "mediastinitis",
    "pneumonitis",
    "bronchitis",
    "bronchiolitis",
    "pericarditis",
    "pleuritis",
    "corpus",
    "dens",
    "lens",
    "nervous",
    "venous",
    "cas",
    "herpes",
    "mitis",
    "analysis",
    "diagnosis",
    "basis",
    "apparatus",
    "hiatus",
    "uterus",
    "anus",
    "virus",
    "focus",
    "cross",
    "less",
    "loss",
    "mass",
    "gross",
    "excess",
    "access",
    "process",
    "abscess",
    "recess",
    "hypothesis",
    "synthesis",
    "prosthesis",
}
_IRREGULAR = {
    "bronchi": "bronchus",
    "hila": "hilum",
    "hili": "hilum",
    "apices": "apex",
    "vertebrae": "vertebra",
    "bullae": "bulla",
    "scapulae": "scapula",
    "costae": "costa",
    "humeri": "humerus",
    "metastases": "metastasis",
    "atelectases": "atelectasis",
    "pneumothoraces": "pneumothorax",
    "hemithoraces": "hemithorax",
    "diagnoses": "diagnosis",
    "axillae": "axilla",
    "pleurae": "pleura",
    "sulci": "sulcus",
    "foci": "focus",
    "emboli": "embolus",
    "granulomata": "granuloma",
    "lumina": "lumen",
    "calculi": "calculus",
    "prostheses": "prosthesis",
    "ptxs": "ptx",
    "bronchiectases": "bronchiectasis",
    "hydropneumothoraces": "hydropneumothorax",
    "pneumomediastina": "pneumomediastinum",
}


def singular(word: str) -> str:
    """A radiology-aware singular of one lower-case word (plural-insensitive matching)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _NOT_PLURAL or not word.endswith("s"):
        return word
    if word.endswith(("ss", "us", "is", "os")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    return word[:-1]


def normalize(text: str) -> str:
    """Lower case, accents dropped, punctuation to spaces, apostrophes dropped, plurals singular.

    "Blunting of the costophrenic angles" and "blunting of the costophrenic angle" normalize
    alike; so do "Pleural effusions", "pleural-effusion" and "PLEURAL EFFUSION".
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = text.lower().replace("'", "").replace("\u2019", "")
    words = _PUNCT.sub(" ", text).split()
    return " ".join(singular(w) for w in words)


@dataclass(frozen=True)
class Concept:
    """One finding or region of the reference ontology. `name` is the graph key."""

    name: str
    kind: str
    label: str
    synonyms: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subcategories: tuple[str, ...] = ()
    default_regions: tuple[str, ...] = ()
    is_device: bool = False
    laterality: str | None = None
    counterpart: str | None = None
    has_box: bool = False
    composite: tuple[str, tuple[str, ...]] | None = None
    codes: dict[str, str] = field(default_factory=dict, hash=False)
    code_sources: dict[str, str] = field(default_factory=dict, hash=False)
    deprecated: bool = False
    replaced_by: str | None = None
    iri: str = ""
    sources: tuple[str, ...] = ()
    definition: str = ""

    @property
    def surface_forms(self) -> tuple[str, ...]:
        return (self.label, *self.synonyms)

    def to_json(self) -> dict[str, Any]:
        data = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        data["composite"] = [self.composite[0], list(self.composite[1])] if self.composite else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Concept:
        d = dict(data)
        for key in (
            "synonyms",
            "parents",
            "categories",
            "subcategories",
            "default_regions",
            "sources",
        ):
            d[key] = tuple(d.get(key) or ())
        comp = d.get("composite")
        d["composite"] = (comp[0], tuple(comp[1])) if comp else None
        return cls(**d)


class Ontology:
    """Findings and regions by name, the lexicon, and is-a / part-of traversal."""

    def __init__(
        self,
        concepts: Iterable[Concept],
        version: str = "",
        path: str | None = None,
        meta: dict[str, str] | None = None,
    ):
        self.version = version
        self.path = path
        self.meta = dict(meta or {})
        self.findings: dict[str, Concept] = {}
        self.regions: dict[str, Concept] = {}
        for c in concepts:
            (self.findings if c.kind == "finding" else self.regions)[c.name] = c

    # -- lookup ---------------------------------------------------------------------
    def concepts(
        self, kind: str | None = None, *, include_deprecated: bool = True
    ) -> list[Concept]:
        pools = [self.findings, self.regions] if kind is None else [self._pool(kind)]
        return [
            c for pool in pools for c in pool.values() if include_deprecated or not c.deprecated
        ]

    def _pool(self, kind: str) -> dict[str, Concept]:
        if kind == "finding":
            return self.findings
        if kind == "region":
            return self.regions
        raise ValueError(f"kind must be 'finding' or 'region', not {kind!r}")

    def concept(self, name: str, kind: str | None = None) -> Concept | None:
        """By exact name (the graph key); findings first when no kind is given."""
        if kind:
            return self._pool(kind).get(name)
        return self.findings.get(name) or self.regions.get(name)

    @cached_property
    def _lexicons(self) -> dict[str, dict[str, Concept]]:
        out: dict[str, dict[str, Concept]] = {}
        for kind in KINDS:
            lex: dict[str, Concept] = {}
            pool = self._pool(kind)
            active = [c for c in pool.values() if not c.deprecated]
            # Names first so that a synonym can never hide another concept's own name.
            for c in active:
                lex.setdefault(normalize(c.name), c)
                lex.setdefault(normalize(c.label), c)
            for c in active:
                for s in c.synonyms:
                    key = normalize(s)
                    if key:
                        lex.setdefault(key, c)
            # A deprecated concept's words still lead to its replacement.
            for c in pool.values():
                if c.deprecated and c.replaced_by and c.replaced_by in pool:
                    for s in c.surface_forms:
                        lex.setdefault(normalize(s), pool[c.replaced_by])
            out[kind] = lex
        combined = dict(out["region"])
        combined.update(out["finding"])
        out["all"] = combined
        return out

    def lexicon(self, kind: str | None = None) -> dict[str, Concept]:
        """Normalized surface form -> concept (labels, synonyms, abbreviations)."""
        return self._lexicons[kind or "all"]

    def get(self, text: str, kind: str | None = None) -> Concept | None:
        """A concept by name or any synonym; case, punctuation and plural insensitive."""
        if not text:
            return None
        if kind is not None:
            self._pool(kind)
        exact = self.concept(text, kind)
        if exact is not None:
            return exact
        return self.lexicon(kind).get(normalize(text))

    def finding(self, text: str) -> Concept | None:
        return self.get(text, "finding")

    def region(self, text: str) -> Concept | None:
        return self.get(text, "region")

    def resolve(self, text: str, kind: str) -> Concept | None:
        """Like `get`, but a deprecated concept is followed to its replacement."""
        c = self.get(text, kind)
        seen = set()
        pool = self._pool(kind)
        while c is not None and c.deprecated and c.replaced_by and c.name not in seen:
            seen.add(c.name)
            c = pool.get(c.replaced_by)
        return c

    # -- traversal --------------------------------------------------------------------
    def _named(self, name: str) -> Concept:
        c = self.findings.get(name) or self.regions.get(name)
        if c is None:
            c = self.get(name)
        if c is None:
            raise KeyError(f"no concept named {name!r} in the ontology")
        return c

    @cached_property
    def _children(self) -> dict[tuple[str, str], list[str]]:
        kids: dict[tuple[str, str], list[str]] = {}
        for c in self.concepts():
            for p in c.parents:
                kids.setdefault((c.kind, p), []).append(c.name)
        return {k: sorted(v) for k, v in kids.items()}

    def parents(self, name: str) -> list[str]:
        return list(self._named(name).parents)

    def children(self, name: str) -> list[str]:
        c = self._named(name)
        return list(self._children.get((c.kind, c.name), []))

    def ancestors(self, name: str) -> list[str]:
        """Is-a (findings) or part-of (regions) ancestors, nearest first (breadth first)."""
        c = self._named(name)
        pool = self._pool(c.kind)
        return _bfs(c.name, lambda n: pool[n].parents if n in pool else ())

    def descendants(self, name: str) -> list[str]:
        c = self._named(name)
        return _bfs(c.name, lambda n: self._children.get((c.kind, n), ()))

    def counterpart(self, name: str) -> str | None:
        return self._named(name).counterpart

    def category_of(self, name: str) -> tuple[str, ...]:
        return self._named(name).categories

    def default_regions(self, name: str) -> tuple[str, ...]:
        return self._named(name).default_regions

    def composite(self, name: str) -> tuple[str, tuple[str, ...]] | None:
        return self._named(name).composite

    # -- value sets -------------------------------------------------------------------
    def categories(self) -> list[str]:
        return sorted({x for c in self.findings.values() for x in c.categories})

    def subcategories(self) -> list[str]:
        return sorted({x for c in self.findings.values() for x in c.subcategories})

    def value_sets(self) -> dict[str, Any]:
        """Everything dataset_info.json lists: entity and region names, categories, value sets."""
        from cxrkg.ontology import values

        return {
            "findings": sorted(c.name for c in self.concepts("finding", include_deprecated=False)),
            "regions": sorted(c.name for c in self.concepts("region", include_deprecated=False)),
            "regions_with_boxes": sorted(
                c.name for c in self.regions.values() if c.has_box and not c.deprecated
            ),
            "devices": sorted(
                c.name for c in self.findings.values() if c.is_device and not c.deprecated
            ),
            "categories": self.categories(),
            "subcategories": self.subcategories(),
            "region_categories": sorted({x for c in self.regions.values() for x in c.categories}),
            "probability": list(values.PROBABILITY),
            "certainty": list(values.CERTAINTY),
            "positiveness": list(values.POSITIVENESS),
            "modifiers": {k: list(v) for k, v in values.MODIFIERS.items()},
            "modifier_types": list(values.MODIFIERS),
            "changes": list(values.CHANGES),
            "change_direction": dict(values.CHANGE_DIRECTION),
            "answer_types": list(values.ANSWER_TYPES),
            "child_types": list(values.CHILD_TYPES),
            "where_specified": list(values.WHERE_SPECIFIED),
            "laterality": ["left", "right", "bilateral"],
            "grades": list(values.GRADES),
            "ontology_version": self.version,
        }

    def __repr__(self) -> str:
        return (
            f"Ontology({len(self.findings)} findings, {len(self.regions)} regions, "
            f"version {self.version})"
        )


def _bfs(start: str, step: Any) -> list[str]:
    seen = {start}
    order: list[str] = []
    frontier = [start]
    while frontier:
        nxt: list[str] = []
        for n in frontier:
            for m in step(n):
                if m not in seen:
                    seen.add(m)
                    order.append(m)
                    nxt.append(m)
        frontier = nxt
    return order
