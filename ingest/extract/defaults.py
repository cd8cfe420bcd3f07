"""Graph construction, default negatives (QBA section 1c): the findings every report speaks
to are absent when it never mentions them, unless that would contradict what it does say.
Which findings, and what keeps each from being added, is data (wordlists/default_negatives.txt)."""

from __future__ import annotations

from functools import cache

from cxrkg.ingest.extract.concepts import Concepts
from cxrkg.ingest.extract.normalize import Item, Normalizer
from cxrkg.ingest.extract.records import RawObservation
from cxrkg.ingest.extract.wordlists import rows


@cache
def default_negatives() -> dict[str, tuple[str, ...]]:
    """finding -> the other findings whose positive or uncertain mention blocks it."""
    return {
        name: tuple(x.strip() for x in others.split(";") if x.strip())
        for name, others in rows("default_negatives", 2)
    }


def add_default_negatives(items: list[Item], c: Concepts, normalizer: Normalizer) -> list[Item]:
    """Negative observations (`from_report` false) for the default findings the report does
    not mention. Not added when the report mentions the finding or a sub-finding at all, or
    mentions as present or possible a broader finding ("opacity" may be consolidation) or one
    of its listed look-alikes ("infiltrates" beside "no consolidation")."""
    mentioned: set[str] = set()
    asserted: set[str] = set()
    for top in items:
        for it in top.walk():
            if it.obs is None:
                continue
            mentioned |= set(it.obs.obs_entities)
            if it.obs.positiveness == "pos" or it.obs.certainty not in ("certain",):
                asserted |= set(it.obs.obs_entities)
    out = []
    for name, lookalikes in default_negatives().items():
        concept = c.finding(name)
        if concept is None:
            continue
        same = {concept.name} | c.descendants(concept.name)
        blockers = set(c.ancestors(concept.name)) | set(lookalikes)
        for b in lookalikes:
            blockers |= c.descendants(b)
        if same & mentioned or blockers & asserted:
            continue
        raw = RawObservation(
            name=f"no {concept.name}",
            summary_sentence=f"There is no {concept.name}.",
            entity=[concept.name],
            probability="negative",
        )
        it = Item(raw, [], None)
        normalizer.map_one(it)
        assert it.obs is not None
        it.obs.from_report = False
        out.append(it)
    return out
