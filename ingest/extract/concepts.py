"""The ontology as graph construction asks it: ancestors (cached), what can contradict a
finding, and how a region is lateralised."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any


def names(items: Iterable[Any]) -> list[str]:
    return [i if isinstance(i, str) else i.name for i in items or ()]


class Concepts:
    """One ontology, with the lookups graph construction repeats for every observation."""

    def __init__(self, onto: Any) -> None:
        self.onto = onto
        self._ancestors: dict[str, list[str]] = {}

    def ancestors(self, name: str) -> list[str]:
        if name not in self._ancestors:
            try:
                self._ancestors[name] = names(self.onto.ancestors(name))
            except KeyError:
                self._ancestors[name] = []
        return self._ancestors[name]

    def descendants(self, name: str) -> set[str]:
        with contextlib.suppress(KeyError):
            return set(names(self.onto.descendants(name)))
        return set()

    def related(self, name: str) -> set[str]:
        """A finding, its descendants and its non-root ancestors (what can contradict it)."""
        out = {name} | self.descendants(name)
        for a in self.ancestors(name):
            concept = self.onto.get(a, kind="finding")
            if concept is not None and concept.parents:
                out.add(a)
        return out

    def finding(self, name: str) -> Any:
        return self.onto.get(name, kind="finding")

    def region(self, name: str) -> Any:
        return self.onto.get(name, kind="region")

    def lateralize(self, region: str, side: str | None) -> str:
        """`lung base` + left -> `left lung base` where the ontology has it."""
        if side not in ("left", "right"):
            return region
        concept = self.region(region)
        if concept is None or concept.laterality in ("left", "right"):
            return region
        for candidate in (f"{side} {region}", f"{side} {region.removesuffix('s')}"):
            c = self.region(candidate)
            if c is not None:
                return c.name
        return region
