"""Export the ontology to other formats (Turtle, RDF/XML, JSON, CSV) and describe it in numbers.

The Turtle export is what neosemantics' `n10s.onto.import.inline(text, 'Turtle')` loads:
owl:Class declarations, rdfs:subClassOf between findings, SKOS labels.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from statistics import mean
from typing import Any

from cxrkg.ontology.model import Concept, Ontology

FORMATS = ("ttl", "owl", "json", "csv")
CSV_COLUMNS = (
    "kind",
    "name",
    "label",
    "synonyms",
    "parents",
    "categories",
    "subcategories",
    "default_regions",
    "is_device",
    "laterality",
    "counterpart",
    "has_box",
    "composite_op",
    "composite_parts",
    "codes",
    "code_sources",
    "sources",
    "deprecated",
    "replaced_by",
    "iri",
)


class ExportError(ValueError):
    pass


def export_text(onto: Ontology, fmt: str) -> str:
    """The ontology in `fmt` (ttl, owl, json or csv) as text."""
    fmt = fmt.lower().lstrip(".")
    if fmt in ("owl", "ttl"):
        if not onto.path:
            raise ExportError("this ontology was not loaded from a file")
        if fmt == "ttl":
            return to_turtle(Path(onto.path))
        from cxrkg.ontology.owl_io import render_owl

        # Rendered, not copied: the source may be Turtle; for an .owl file it is the same bytes.
        return render_owl(onto.concepts(), onto.meta)
    if fmt == "json":
        return json.dumps(
            {
                "value_sets": onto.value_sets(),
                "version": onto.version,
                "meta": onto.meta,
                "findings": [c.to_json() for c in onto.concepts("finding")],
                "regions": [c.to_json() for c in onto.concepts("region")],
            },
            ensure_ascii=False,
            indent=1,
        )
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for c in onto.concepts():
            writer.writerow(csv_row(c))
        return buf.getvalue()
    raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")


def csv_row(c: Concept) -> dict[str, Any]:
    join = "|".join
    return {
        "kind": c.kind,
        "name": c.name,
        "label": c.label,
        "synonyms": join(c.synonyms),
        "parents": join(c.parents),
        "categories": join(c.categories),
        "subcategories": join(c.subcategories),
        "default_regions": join(c.default_regions),
        "is_device": c.is_device,
        "laterality": c.laterality or "",
        "counterpart": c.counterpart or "",
        "has_box": c.has_box,
        "composite_op": c.composite[0] if c.composite else "",
        "composite_parts": join(c.composite[1]) if c.composite else "",
        "codes": join(f"{k}:{v}" for k, v in c.codes.items()),
        "code_sources": join(f"{k}={v}" for k, v in c.code_sources.items()),
        "sources": join(c.sources),
        "deprecated": c.deprecated,
        "replaced_by": c.replaced_by or "",
        "iri": c.iri,
    }


def to_turtle(path: Path, *, value_sets: bool = True) -> str:
    """The OWL file re-serialized as Turtle by rdflib, with the value sets as SKOS schemes."""
    from cxrkg.ontology.owl_io import CX, DCTERMS, read_graph

    graph = read_graph(path)
    if value_sets:
        graph += value_sets_graph()
    graph.bind("cx", CX)
    graph.bind("skos", "http://www.w3.org/2004/02/skos/core#")
    graph.bind("dcterms", DCTERMS)
    return graph.serialize(format="turtle")


def value_sets_graph():  # noqa: ANN201 - rdflib.Graph, imported lazily
    """`values.py` as RDF: one skos:ConceptScheme per value set, one skos:Concept per value.

    values.py stays the one source (every room imports it); this is its RDF rendering for
    exports, so that RDF users see the probability, modifier, change, answer-type and quality
    vocabularies next to the findings and regions.
    """
    import rdflib
    from rdflib.namespace import RDF, SKOS, XSD

    from cxrkg.ontology import values
    from cxrkg.ontology.owl_io import CX, slug

    cx = rdflib.Namespace(CX)
    g = rdflib.Graph()

    def scheme(name: str, items: list[tuple[str, dict[str, object]]]) -> None:
        sch = cx[f"VS_{slug(name)}"]
        g.add((sch, RDF.type, SKOS.ConceptScheme))
        g.add((sch, SKOS.prefLabel, rdflib.Literal(name, lang="en")))
        for order, (value, props) in enumerate(items):
            node = cx[f"V_{slug(name)}__{slug(value)}"]
            g.add((node, RDF.type, SKOS.Concept))
            g.add((node, SKOS.inScheme, sch))
            g.add((node, SKOS.prefLabel, rdflib.Literal(value, lang="en")))
            g.add((node, SKOS.notation, rdflib.Literal(value)))
            g.add((node, cx.order, rdflib.Literal(order, datatype=XSD.integer)))
            for key, v in props.items():
                g.add((node, cx[key], rdflib.Literal(v)))

    scheme(
        "probability",
        [(k, {"certainty": c, "positiveness": p}) for k, (c, p) in values.PROBABILITY.items()],
    )
    scheme("certainty", [(v, {}) for v in values.CERTAINTY])
    scheme("positiveness", [(v, {}) for v in values.POSITIVENESS])
    scheme("modifier types", [(v, {}) for v in values.MODIFIERS])
    for kind, vals in values.MODIFIERS.items():
        scheme(f"modifier {kind}", [(v, {"modifierType": kind}) for v in vals])
    scheme(
        "changes",
        [(v, {"changeDirection": values.CHANGE_DIRECTION.get(v, "")}) for v in values.CHANGES],
    )
    scheme("answer types", [(v, {}) for v in values.ANSWER_TYPES])
    scheme("child types", [(v, {}) for v in values.CHILD_TYPES])
    scheme("where specified", [(v, {}) for v in values.WHERE_SPECIFIED])
    scheme("grades", [(v, {"rank": values.grade_rank(v)}) for v in values.GRADES])
    for level, table in (("extraction", values.EXTRACTION_CRITERIA), ("qa", values.QA_CRITERIA)):
        for criterion, options in table.items():
            scheme(
                f"quality {criterion}",
                [
                    (o.name, {"code": o.code, "maxGrade": o.max_grade, "level": level})
                    for o in options
                ],
            )
    return g


def write_export(onto: Ontology, fmt: str, out: Path) -> Path:
    from cxrkg.ontology.files import atomic_write

    atomic_write(out, export_text(onto, fmt))
    return out


# ------------------------------------------------------------------------------------
# stats
# ------------------------------------------------------------------------------------
def _depths(onto: Ontology, kind: str) -> dict[str, int]:
    """Longest path from each concept up to a root of its hierarchy (roots have depth 0)."""
    pool = onto.findings if kind == "finding" else onto.regions
    memo: dict[str, int] = {}

    def depth(name: str, trail: frozenset[str]) -> int:
        if name in memo:
            return memo[name]
        parents = [p for p in pool[name].parents if p in pool and p not in trail]
        d = 0 if not parents else 1 + max(depth(p, trail | {name}) for p in parents)
        memo[name] = d
        return d

    return {n: depth(n, frozenset()) for n in pool}


def stats(onto: Ontology) -> dict[str, Any]:
    """Counts per category, hierarchy depth, synonyms and codes, per kind."""
    out: dict[str, Any] = {"version": onto.version, "path": onto.path}
    for kind in ("finding", "region"):
        concepts = onto.concepts(kind)
        active = [c for c in concepts if not c.deprecated]
        depths = _depths(onto, kind)
        n_syn = [len(c.synonyms) for c in active]
        block: dict[str, Any] = {
            "concepts": len(active),
            "deprecated": len(concepts) - len(active),
            "roots": sum(1 for c in active if not c.parents),
            "max_depth": max(depths.values(), default=0),
            "mean_depth": round(mean(depths.values()), 2) if depths else 0,
            "synonyms": sum(n_syn),
            "mean_synonyms": round(mean(n_syn), 2) if n_syn else 0,
            "surface_forms_in_lexicon": len(onto.lexicon(kind)),
            "with_codes": dict(sorted(Counter(s for c in active for s in c.codes).items())),
            "sources": dict(
                sorted(Counter(s.split(":")[0] for c in active for s in c.sources).items())
            ),
            "categories": dict(sorted(Counter(x for c in active for x in c.categories).items())),
        }
        if kind == "finding":
            block["subcategories"] = dict(
                sorted(Counter(x for c in active for x in c.subcategories).items())
            )
            block["devices"] = sum(c.is_device for c in active)
        else:
            block["with_box"] = sum(c.has_box for c in active)
            block["composites"] = dict(
                sorted(Counter(c.composite[0] for c in active if c.composite).items())
            )
            block["laterality"] = dict(
                sorted(Counter(c.laterality or "none" for c in active).items())
            )
        out[kind + "s"] = block
    return out
