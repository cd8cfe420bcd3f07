"""Mirror the ontology into the graph, and (re)link observations and study regions to it.

    report = sync_ontology(store, load_ontology())
    print(report.summary())

Concept nodes are merged on their keys (`:Finding {name}`, `:Anatomy {name}`, `:Category
{name}`), relationships are diffed against what the graph holds, so running it twice changes
nothing the second time. Observations link to findings by their `entities` list and study
regions to anatomy by their `region`, each resolved through the ontology's lexicon (so a
renamed or merged concept still catches the old name).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cxrkg.cypher.queries import load_query
from cxrkg.cypher.store import GraphStore, chunks
from cxrkg.ontology.model import Concept, Ontology

_RELINK_CHUNK = 5000  # studies per link statement: well inside the per-query memory limit

CATEGORY_URI = "http://cxrkg.org/ontology/category#"


@dataclass
class SyncReport:
    version: str
    nodes: dict[str, int] = field(default_factory=dict)  # label -> count in the ontology
    added: list[str] = field(default_factory=list)  # "finding:name"
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    edges_added: int = 0
    edges_removed: int = 0
    links_added: int = 0
    links_removed: int = 0
    unresolved_entities: dict[str, int] = field(default_factory=dict)  # text -> observations
    unresolved_regions: dict[str, int] = field(default_factory=dict)
    affected_studies: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.added
            or self.updated
            or self.removed
            or self.edges_added
            or self.edges_removed
            or self.links_added
            or self.links_removed
        )

    def summary(self) -> str:
        counts = ", ".join(f"{n} {label}" for label, n in self.nodes.items())
        lines = [
            f"ontology {self.version}: {counts}",
            f"concepts: {len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.removed)} removed",
            f"ontology relationships: +{self.edges_added} -{self.edges_removed}",
            f"observation/region links: +{self.links_added} -{self.links_removed}",
            f"affected studies: {len(self.affected_studies)}",
        ]
        for title, items in (
            ("added", self.added),
            ("updated", self.updated),
            ("removed", self.removed),
        ):
            if items:
                shown = ", ".join(items[:12]) + (" ..." if len(items) > 12 else "")
                lines.append(f"  {title}: {shown}")
        if self.affected_studies:
            shown = ", ".join(self.affected_studies[:12])
            lines.append(f"  studies: {shown}{' ...' if len(self.affected_studies) > 12 else ''}")
        for title, missing in (
            ("entities", self.unresolved_entities),
            ("regions", self.unresolved_regions),
        ):
            if missing:
                top = sorted(missing.items(), key=lambda kv: -kv[1])[:10]
                lines.append(
                    f"  {len(missing)} {title} not in the ontology (not linked): "
                    + ", ".join(f"{k!r} ({v})" for k, v in top)
                )
        if not self.changed:
            lines.append("the graph already mirrored this ontology: nothing changed")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------
# rows
# ------------------------------------------------------------------------------------
def _hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()[:16]


def _codes(c: Concept) -> tuple[list[str], list[str]]:
    return (
        [f"{k}:{v}" for k, v in sorted(c.codes.items())],
        [f"{k}={v}" for k, v in sorted(c.code_sources.items())],
    )


def finding_row(c: Concept) -> dict[str, Any]:
    codes, sources = _codes(c)
    row = {
        "name": c.name,
        "uri": c.iri,
        "label": c.label,
        "synonyms": list(c.synonyms),
        "categories": list(c.categories),
        "subcategories": list(c.subcategories),
        "default_regions": list(c.default_regions),
        "parents": list(c.parents),
        "is_device": c.is_device,
        "deprecated": c.deprecated,
        "replaced_by": c.replaced_by,
        "codes": codes,
        "code_sources": sources,
        "umls": c.codes.get("UMLS"),
        "snomedct": c.codes.get("SNOMEDCT"),
        "radlex": c.codes.get("RADLEX"),
        "sources": list(c.sources),
        "definition": c.definition,
    }
    row["content_hash"] = _hash(row)
    return row


def region_row(c: Concept) -> dict[str, Any]:
    codes, sources = _codes(c)
    row = {
        "name": c.name,
        "uri": c.iri,
        "label": c.label,
        "synonyms": list(c.synonyms),
        "categories": list(c.categories),
        "parents": list(c.parents),
        "laterality": c.laterality,
        "counterpart": c.counterpart,
        "has_box": c.has_box,
        "composite_op": c.composite[0] if c.composite else None,
        "composite_parts": list(c.composite[1]) if c.composite else [],
        "deprecated": c.deprecated,
        "replaced_by": c.replaced_by,
        "codes": codes,
        "code_sources": sources,
        "umls": c.codes.get("UMLS"),
        "cxas": c.codes.get("CXAS"),
        "sources": list(c.sources),
        "definition": c.definition,
    }
    row["content_hash"] = _hash(row)
    return row


def category_rows(onto: Ontology) -> list[dict[str, Any]]:
    levels: dict[str, set[str]] = {}
    for c in onto.findings.values():
        for x in c.categories:
            levels.setdefault(x, set()).add("category")
        for x in c.subcategories:
            levels.setdefault(x, set()).add("subcategory")
    for c in onto.regions.values():
        for x in c.categories:
            levels.setdefault(x, set()).add("region_category")
    rows = []
    for name, lv in sorted(levels.items()):
        row = {"name": name, "uri": CATEGORY_URI + name, "levels": sorted(lv)}
        row["content_hash"] = _hash(row)
        rows.append(row)
    return rows


# Relationship type -> (source kind, target kind, query that adds it).
EDGE_QUERIES: dict[tuple[str, str, str], str] = {
    ("finding", "SUBCLASS_OF", "finding"): "ontology/add_subclass_of",
    ("finding", "REPLACED_BY", "finding"): "ontology/add_finding_replaced_by",
    ("finding", "IN_CATEGORY", "category"): "ontology/add_finding_in_category",
    ("finding", "DEFAULT_REGION", "region"): "ontology/add_default_region",
    ("region", "PART_OF", "region"): "ontology/add_part_of",
    ("region", "COUNTERPART", "region"): "ontology/add_counterpart",
    ("region", "COMPOSED_OF", "region"): "ontology/add_composed_of",
    ("region", "REPLACED_BY", "region"): "ontology/add_region_replaced_by",
    ("region", "IN_CATEGORY", "category"): "ontology/add_region_in_category",
}
Edge = tuple[str, str, str, str, str]  # source kind, source, type, target kind, target


def ontology_edges(onto: Ontology) -> set[Edge]:
    """Every relationship the ontology implies between its nodes."""
    edges: set[Edge] = set()
    for c in onto.findings.values():
        edges |= {("finding", c.name, "SUBCLASS_OF", "finding", p) for p in c.parents}
        edges |= {
            ("finding", c.name, "IN_CATEGORY", "category", x)
            for x in (*c.categories, *c.subcategories)
        }
        edges |= {("finding", c.name, "DEFAULT_REGION", "region", r) for r in c.default_regions}
        if c.replaced_by:
            edges.add(("finding", c.name, "REPLACED_BY", "finding", c.replaced_by))
    for c in onto.regions.values():
        edges |= {("region", c.name, "PART_OF", "region", p) for p in c.parents}
        edges |= {("region", c.name, "IN_CATEGORY", "category", x) for x in c.categories}
        if c.counterpart:
            edges.add(("region", c.name, "COUNTERPART", "region", c.counterpart))
        if c.composite:
            edges |= {("region", c.name, "COMPOSED_OF", "region", p) for p in c.composite[1]}
        if c.replaced_by:
            edges.add(("region", c.name, "REPLACED_BY", "region", c.replaced_by))
    return edges


# ------------------------------------------------------------------------------------
# sync
# ------------------------------------------------------------------------------------
def sync_ontology(store: GraphStore, onto: Ontology, *, link: bool = True) -> SyncReport:
    """Write the ontology's nodes and relationships, relink observations and study regions,
    and report what changed and which studies are affected."""
    report = SyncReport(onto.version)
    findings = [finding_row(c) for c in onto.findings.values()]
    regions = [region_row(c) for c in onto.regions.values()]
    categories = category_rows(onto)
    report.nodes = {"Finding": len(findings), "Anatomy": len(regions), "Category": len(categories)}

    before = {
        (r["kind"], r["name"]): r["hash"]
        for r in store.run_named("ontology/concept_hashes", read_only=True)
    }
    wanted = {("finding", r["name"]): r["content_hash"] for r in findings}
    wanted |= {("region", r["name"]): r["content_hash"] for r in regions}
    wanted |= {("category", r["name"]): r["content_hash"] for r in categories}
    added = sorted(k for k in wanted if k not in before)
    removed = sorted(k for k in before if k not in wanted)
    updated = sorted(k for k in wanted if k in before and before[k] != wanted[k])
    report.added = [f"{k}:{n}" for k, n in added]
    report.removed = [f"{k}:{n}" for k, n in removed]
    report.updated = [f"{k}:{n}" for k, n in updated]

    changed_findings = sorted({n for k, n in (*added, *removed, *updated) if k == "finding"})
    changed_regions = sorted({n for k, n in (*added, *removed, *updated) if k == "region"})
    affected = set(_studies(store, changed_findings, changed_regions))  # links before the sync

    version = {"version": onto.version}
    store.write_batches(load_query("ontology/upsert_findings"), findings, extra=version)
    store.write_batches(load_query("ontology/upsert_regions"), regions, extra=version)
    store.write_batches(load_query("ontology/upsert_categories"), categories, extra=version)

    have = {
        (r["source_kind"], r["source"], r["type"], r["target_kind"], r["target"])
        for r in store.run_named("ontology/ontology_edges", read_only=True)
    }
    want = ontology_edges(onto)
    stale = have - want
    for kind, query in (
        ("finding", "ontology/delete_finding_edges"),
        ("region", "ontology/delete_region_edges"),
    ):
        rows = [
            {"source": s, "type": t, "target": o, "target_kind": ok}
            for sk, s, t, ok, o in sorted(stale)
            if sk == kind
        ]
        store.write_batches(load_query(query), rows)
    for key, query in EDGE_QUERIES.items():
        rows = [
            {"source": s, "target": o}
            for sk, s, t, ok, o in sorted(want - have)
            if (sk, t, ok) == key
        ]
        store.write_batches(load_query(query), rows)
    report.edges_added, report.edges_removed = len(want - have), len(stale)

    if link:
        affected |= _relink(store, onto, report)

    # Stale concept nodes go last: their links were needed above to find affected studies.
    store.run_named("ontology/delete_stale_findings", {"names": sorted(onto.findings)})
    store.run_named("ontology/delete_stale_regions", {"names": sorted(onto.regions)})
    store.run_named("ontology/delete_stale_categories", {"names": [r["name"] for r in categories]})
    affected |= set(_studies(store, changed_findings, changed_regions))
    report.affected_studies = sorted(s for s in affected if s)
    store.run_named(
        "ontology/set_meta",
        {
            "version": onto.version,
            "path": onto.path or "",
            "counts": [f"{k}={v}" for k, v in report.nodes.items()],
        },
    )
    if report.changed:
        store.bump_version()
    return report


def _studies(store: GraphStore, findings: list[str], regions: list[str]) -> list[str]:
    out: list[str] = []
    if findings:
        out += [
            r["study_id"]
            for r in store.run_named(
                "ontology/studies_of_findings", {"names": findings}, read_only=True
            )
        ]
    if regions:
        out += [
            r["study_id"]
            for r in store.run_named(
                "ontology/studies_of_regions", {"names": regions}, read_only=True
            )
        ]
    return out


def _relink(store: GraphStore, onto: Ontology, report: SyncReport) -> set[str]:
    """Make HAS_ENTITY and IS_A links agree with the ontology; returns the studies touched.

    The distinct texts are few (entity and region names) even when observations are many,
    so they are resolved here and handed to Cypher as one text -> name map: each link query
    is then a single pass over the observations or study regions of a chunk of studies
    (one pass over all of them needs more than the per-query memory limit past ~40,000
    studies).
    """
    affected: set[str] = set()
    study_ids = [r["study_id"] for r in store.run_named("graph/study_ids", read_only=True)]
    for kind, texts, link, unlink, missing in (
        (
            "finding",
            "ontology/entity_texts",
            "ontology/link_observations",
            "ontology/unlink_observations",
            report.unresolved_entities,
        ),
        (
            "region",
            "ontology/region_texts",
            "ontology/link_study_regions",
            "ontology/unlink_study_regions",
            report.unresolved_regions,
        ),
    ):
        mapping: dict[str, str] = {}
        for row in store.run_named(texts, read_only=True):
            text = row["text"]
            concept = onto.resolve(text, kind) if isinstance(text, str) else None
            if concept is None:
                missing[str(text)] = int(row["n"])
            else:
                mapping[text] = concept.name
        for chunk in chunks(study_ids, _RELINK_CHUNK):
            params = {"mapping": mapping, "study_ids": list(chunk)}
            for row in store.run_named(unlink, params):
                report.links_removed += int(row["links"])
                affected.add(row["study_id"])
            for row in store.run_named(link, params):
                report.links_added += int(row["links"])
                affected.add(row["study_id"])
    return affected


def synced_version(store: GraphStore) -> str | None:
    """The ontology version the graph mirrors, or None before the first sync."""
    rows = store.run_named("ontology/meta", read_only=True)
    return rows[0]["version"] if rows else None


def ensure_synced(store: GraphStore, onto: Ontology | None = None) -> SyncReport | None:
    """Mirror the ontology into the graph when it is not there or is another version, so
    what is loaded next is linked to it (`None`: already in sync)."""
    if onto is None:
        from cxrkg.ontology import load_ontology

        onto = load_ontology()
    if synced_version(store) == onto.version:
        return None
    return sync_ontology(store, onto)


def link_loaded(store: GraphStore, study_ids: list[str], onto: Ontology | None = None) -> int:
    """Link the given studies' entity and region texts that are not concept names themselves
    (synonyms, other spellings) to their concepts; exact names are linked as they are
    written. Returns the links added."""
    if not study_ids:
        return 0
    if onto is None:
        from cxrkg.ontology import load_ontology

        onto = load_ontology()
    added = 0
    for kind, texts, link in (
        ("finding", "ontology/loaded_entity_texts", "ontology/link_loaded_observations"),
        ("region", "ontology/loaded_region_texts", "ontology/link_loaded_regions"),
    ):
        mapping: dict[str, str] = {}
        for row in store.run_named(texts, {"study_ids": study_ids}, read_only=True):
            concept = onto.resolve(row["text"], kind) if isinstance(row["text"], str) else None
            if concept is not None:
                mapping[row["text"]] = concept.name
        if mapping:
            rows = store.run_named(link, {"study_ids": study_ids, "mapping": mapping})
            added += sum(int(r["links"]) for r in rows)
    return added
