"""Reading and writing the ontology's OWL 2 file (RDF/XML), and its rdflib graph.

The writer is deterministic (concepts sorted, lists sorted), so that a save, load and save
gives the same bytes and the change log can restore any version exactly. Terms:

- every concept is an `owl:Class` with `skos:prefLabel` and `skos:altLabel`s;
- findings: `rdfs:subClassOf` their parent findings (root findings: `cx:Finding`);
- regions: `rdfs:subClassOf cx:Anatomy` and `cx:partOf some <parent>` restrictions;
- everything else is an annotation (`cx:category`, `cx:defaultRegion`, `cx:umlsCui`, ...);
- deprecated concepts carry `owl:deprecated true` and `dcterms:isReplacedBy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from cxrkg.ontology.model import Concept

BASE = "http://cxrkg.org/ontology"
CX = BASE + "#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS = "http://purl.org/dc/terms/"

FINDING_ROOT = CX + "Finding"
ANATOMY_ROOT = CX + "Anatomy"
ROOTS = {FINDING_ROOT: "finding", ANATOMY_ROOT: "region"}

# Code systems with their own annotation property; any other system goes to cx:code "SYS:val".
CODE_PROPS: dict[str, str] = {
    "UMLS": "umlsCui",
    "SNOMEDCT": "snomedctId",
    "RADLEX": "radlexId",
    "CXAS": "cxasClass",
}
_ANNOTATIONS = (
    "category",
    "subcategory",
    "defaultRegion",
    "isDevice",
    "laterality",
    "counterpart",
    "hasBox",
    "compositeOperation",
    "compositePart",
    "code",
    "codeSource",
    "source",
    *CODE_PROPS.values(),
)
_META_TAGS = {
    "title": "rdfs:label",
    "description": "rdfs:comment",
    "version": "owl:versionInfo",
    "source": "dcterms:source",
}


class OntologyFileError(ValueError):
    """The OWL file cannot be read as a cxrkg ontology; the message names file and concept."""


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "concept"


def new_iri(name: str, kind: str, taken: Iterable[str] = ()) -> str:
    """A fresh IRI for a concept; IRIs never change when a concept is renamed."""
    prefix = "F_" if kind == "finding" else "R_"
    base = CX + prefix + slug(name)
    taken = set(taken)
    iri, n = base, 2
    while iri in taken:
        iri, n = f"{base}_{n}", n + 1
    return iri


# ------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------
def _lit(tag: str, value: str, lang: bool = False) -> str:
    attr = ' xml:lang="en"' if lang else ""
    return f"        <{tag}{attr}>{escape(value)}</{tag}>"


def _typed(tag: str, value: bool) -> str:
    return f'        <{tag} rdf:datatype="{XSD}boolean">{"true" if value else "false"}</{tag}>'


def _res(tag: str, iri: str) -> str:
    return f"        <{tag} rdf:resource={quoteattr(iri)}/>"


def render_owl(concepts: Iterable[Concept], meta: dict[str, str] | None = None) -> str:
    """The whole ontology as RDF/XML text (deterministic)."""
    concepts = sorted(concepts, key=lambda c: (c.kind, c.iri))
    meta = dict(meta or {})
    by_name = {(c.kind, c.name): c.iri for c in concepts}

    def iri_of(kind: str, name: str) -> str:
        try:
            return by_name[(kind, name)]
        except KeyError as exc:
            raise OntologyFileError(f"{kind} {name!r} is referenced but not defined") from exc

    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<rdf:RDF",
        f'    xmlns="{CX}"',
        f'    xml:base="{BASE}"',
        f'    xmlns:cx="{CX}"',
        f'    xmlns:owl="{OWL}"',
        f'    xmlns:rdf="{RDF}"',
        f'    xmlns:rdfs="{RDFS}"',
        f'    xmlns:skos="{SKOS}"',
        f'    xmlns:xsd="{XSD}"',
        f'    xmlns:dcterms="{DCTERMS}">',
        f'    <owl:Ontology rdf:about="{BASE}">',
    ]
    for key in sorted(meta):
        tag = _META_TAGS.get(key)
        if tag is None:
            raise OntologyFileError(f"unknown ontology metadata {key!r}; use {sorted(_META_TAGS)}")
        out.append(_lit(tag, meta[key]))
    out.append("    </owl:Ontology>")
    out.append("")
    out.append(f'    <owl:ObjectProperty rdf:about="{CX}partOf">')
    out.append(_lit("rdfs:label", "part of"))
    out.append(f'        <rdf:type rdf:resource="{OWL}TransitiveProperty"/>')
    out.append("    </owl:ObjectProperty>")
    for prop in _ANNOTATIONS:
        out.append(f'    <owl:AnnotationProperty rdf:about="{CX}{prop}"/>')
    for prop in ("prefLabel", "altLabel", "definition"):
        out.append(f'    <owl:AnnotationProperty rdf:about="{SKOS}{prop}"/>')
    out.append(f'    <owl:AnnotationProperty rdf:about="{DCTERMS}isReplacedBy"/>')
    out.append("")
    out.append(f'    <owl:Class rdf:about="{FINDING_ROOT}">')
    out.append(_lit("skos:prefLabel", "Finding", lang=True))
    out.append(
        _lit(
            "rdfs:comment",
            "Radiological findings, diseases, devices and technical assessments of chest X-rays.",
        )
    )
    out.append(f'        <owl:disjointWith rdf:resource="{ANATOMY_ROOT}"/>')
    out.append("    </owl:Class>")
    out.append(f'    <owl:Class rdf:about="{ANATOMY_ROOT}">')
    out.append(_lit("skos:prefLabel", "Anatomy", lang=True))
    out.append(_lit("rdfs:comment", "Anatomical regions of chest X-rays (with or without boxes)."))
    out.append("    </owl:Class>")
    for c in concepts:
        out.append("")
        out.append(f"    <owl:Class rdf:about={quoteattr(c.iri)}>")
        if c.kind == "finding":
            if c.parents:
                for p in sorted(c.parents):
                    out.append(_res("rdfs:subClassOf", iri_of("finding", p)))
            else:
                out.append(_res("rdfs:subClassOf", FINDING_ROOT))
        else:
            out.append(_res("rdfs:subClassOf", ANATOMY_ROOT))
            for p in sorted(c.parents):
                out += [
                    "        <rdfs:subClassOf>",
                    "            <owl:Restriction>",
                    f'                <owl:onProperty rdf:resource="{CX}partOf"/>',
                    f"                <owl:someValuesFrom rdf:resource="
                    f"{quoteattr(iri_of('region', p))}/>",
                    "            </owl:Restriction>",
                    "        </rdfs:subClassOf>",
                ]
        out.append(_lit("skos:prefLabel", c.label, lang=True))
        out.append(_lit("rdfs:label", c.label, lang=True))
        for s in _sorted(c.synonyms):
            out.append(_lit("skos:altLabel", s, lang=True))
        if c.definition:
            out.append(_lit("skos:definition", c.definition, lang=True))
        for x in sorted(c.categories):
            out.append(_lit("cx:category", x))
        for x in sorted(c.subcategories):
            out.append(_lit("cx:subcategory", x))
        for r in sorted(c.default_regions):
            out.append(_res("cx:defaultRegion", iri_of("region", r)))
        if c.kind == "finding":
            out.append(_typed("cx:isDevice", c.is_device))
        else:
            out.append(_typed("cx:hasBox", c.has_box))
        if c.laterality:
            out.append(_lit("cx:laterality", c.laterality))
        if c.counterpart:
            out.append(_res("cx:counterpart", iri_of(c.kind, c.counterpart)))
        if c.composite:
            op, parts = c.composite
            out.append(_lit("cx:compositeOperation", op))
            for p in sorted(parts):
                out.append(_res("cx:compositePart", iri_of("region", p)))
        for system in sorted(c.codes):
            prop = CODE_PROPS.get(system)
            value = c.codes[system]
            out.append(_lit(f"cx:{prop}", value) if prop else _lit("cx:code", f"{system}:{value}"))
        for system in sorted(c.code_sources):
            out.append(_lit("cx:codeSource", f"{system}={c.code_sources[system]}"))
        for s in sorted(c.sources):
            out.append(_lit("cx:source", s))
        if c.deprecated:
            out.append(_typed("owl:deprecated", True))
            if c.replaced_by:
                out.append(_res("dcterms:isReplacedBy", iri_of(c.kind, c.replaced_by)))
        out.append("    </owl:Class>")
    out.append("</rdf:RDF>")
    return "\n".join(out) + "\n"


def _sorted(items: Iterable[str]) -> list[str]:
    return sorted(set(items), key=lambda s: (s.lower(), s))


def canonical(c: Concept) -> Concept:
    """The concept with its lists in the order the file stores them (sorted, no duplicates)."""
    from dataclasses import replace

    comp = (c.composite[0], tuple(sorted(set(c.composite[1])))) if c.composite else None
    return replace(
        c,
        synonyms=tuple(_sorted(s for s in c.synonyms if s != c.label)),
        parents=tuple(sorted(set(c.parents))),
        categories=tuple(sorted(set(c.categories))),
        subcategories=tuple(sorted(set(c.subcategories))),
        default_regions=tuple(sorted(set(c.default_regions))),
        composite=comp,
        codes=dict(sorted(c.codes.items())),
        code_sources=dict(sorted(c.code_sources.items())),
        sources=tuple(sorted(set(c.sources))),
    )


# ------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------
def read_graph(path: Path):  # noqa: ANN201 - rdflib.Graph, imported lazily
    import rdflib

    graph = rdflib.Graph()
    fmt = "turtle" if path.suffix.lower() in (".ttl", ".turtle") else "xml"
    try:
        graph.parse(str(path), format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        raise OntologyFileError(f"{path}: not valid RDF ({fmt}): {exc}") from exc
    return graph


def read_owl(path: Path) -> tuple[list[Concept], dict[str, str]]:
    """Concepts and ontology metadata from an OWL file (RDF/XML or Turtle)."""
    import rdflib
    from rdflib.namespace import OWL as O
    from rdflib.namespace import RDF as R
    from rdflib.namespace import RDFS as RS
    from rdflib.namespace import SKOS as S

    g = read_graph(path)
    cx = rdflib.Namespace(CX)
    meta: dict[str, str] = {}
    onto = rdflib.URIRef(BASE)
    tags = {
        RS.label: "title",
        RS.comment: "description",
        O.versionInfo: "version",
        rdflib.URIRef(DCTERMS + "source"): "source",
    }
    for p, o in g.predicate_objects(onto):
        if p in tags:
            meta[tags[p]] = str(o)

    classes = [
        s
        for s in g.subjects(R.type, O.Class)
        if isinstance(s, rdflib.URIRef) and str(s) not in ROOTS
    ]
    named_supers: dict[str, list[str]] = {}
    part_of: dict[str, list[str]] = {}
    for s in classes:
        for o in g.objects(s, RS.subClassOf):
            if isinstance(o, rdflib.URIRef):
                named_supers.setdefault(str(s), []).append(str(o))
            elif (o, O.onProperty, cx.partOf) in g:
                target = g.value(o, O.someValuesFrom)
                if target is not None:
                    part_of.setdefault(str(s), []).append(str(target))

    def kind_of(iri: str, seen: frozenset[str] = frozenset()) -> str | None:
        for sup in named_supers.get(iri, ()):
            if sup in ROOTS:
                return ROOTS[sup]
            if sup not in seen:
                k = kind_of(sup, seen | {iri})
                if k:
                    return k
        return None

    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    labels: dict[str, str] = {}
    for s in classes:
        iri = str(s)
        label = g.value(s, S.prefLabel) or g.value(s, RS.label)
        if label is None:
            raise OntologyFileError(f"{path}: class {iri} has no skos:prefLabel")
        # An is-a cycle cuts a finding off from cx:Finding; its IRI prefix still tells the
        # kind, so that validation can report the cycle instead of an unreadable file.
        k = kind_of(iri) or _kind_from_iri(iri)
        if k is None:
            raise OntologyFileError(
                f"{path}: class {iri} ({label}) is neither under cx:Finding nor cx:Anatomy"
            )
        labels[iri] = str(label)
        names[iri] = str(label).strip().lower()
        kinds[iri] = k

    def name(iri: str) -> str:
        if iri not in names:
            raise OntologyFileError(f"{path}: reference to undefined class {iri}")
        return names[iri]

    def lits(s: rdflib.URIRef, prop: str) -> list[str]:
        return [str(o) for o in g.objects(s, cx[prop])]

    def refs(s: rdflib.URIRef, prop: str) -> list[str]:
        return [name(str(o)) for o in g.objects(s, cx[prop])]

    concepts: list[Concept] = []
    for s in classes:
        iri = str(s)
        kind = kinds[iri]
        if kind == "finding":
            parents = [name(p) for p in named_supers.get(iri, ()) if p not in ROOTS]
        else:
            parents = [name(p) for p in part_of.get(iri, ())]
        codes: dict[str, str] = {}
        for system, prop in CODE_PROPS.items():
            vals = lits(s, prop)
            if vals:
                codes[system] = sorted(vals)[0]
        for raw in lits(s, "code"):
            system, _, value = raw.partition(":")
            codes[system] = value
        code_sources = dict(x.partition("=")[::2] for x in lits(s, "codeSource"))
        op = lits(s, "compositeOperation")
        counterpart = refs(s, "counterpart")
        replaced = g.value(s, rdflib.URIRef(DCTERMS + "isReplacedBy"))
        deprecated = g.value(s, O.deprecated)
        laterality = lits(s, "laterality")
        definition = g.value(s, S.definition)
        concepts.append(
            canonical(
                Concept(
                    name=names[iri],
                    kind=kind,
                    label=labels[iri],
                    synonyms=tuple(str(o) for o in g.objects(s, S.altLabel)),
                    parents=tuple(parents),
                    categories=tuple(lits(s, "category")),
                    subcategories=tuple(lits(s, "subcategory")),
                    default_regions=tuple(refs(s, "defaultRegion")),
                    is_device=_bool(g.value(s, cx.isDevice)),
                    laterality=laterality[0] if laterality else None,
                    counterpart=counterpart[0] if counterpart else None,
                    has_box=_bool(g.value(s, cx.hasBox)),
                    composite=(op[0], tuple(refs(s, "compositePart"))) if op else None,
                    codes=codes,
                    code_sources=code_sources,
                    deprecated=_bool(deprecated),
                    replaced_by=name(str(replaced)) if replaced else None,
                    iri=iri,
                    sources=tuple(lits(s, "source")),
                    definition=str(definition) if definition else "",
                )
            )
        )
    seen: dict[tuple[str, str], str] = {}
    for c in concepts:
        other = seen.get((c.kind, c.name))
        if other:
            raise OntologyFileError(
                f"{path}: two {c.kind}s are named {c.name!r} ({other} and {c.iri})"
            )
        seen[(c.kind, c.name)] = c.iri
    concepts.sort(key=lambda c: (c.kind, c.name))
    return concepts, meta


def _kind_from_iri(iri: str) -> str | None:
    local = iri.rsplit("#", 1)[-1]
    return "finding" if local.startswith("F_") else "region" if local.startswith("R_") else None


def _bool(value: object) -> bool:
    return value is not None and str(value).lower() in ("true", "1")


def write_owl(concepts: Iterable[Concept], path: Path, meta: dict[str, str] | None = None) -> str:
    """Write atomically (temp file + os.replace); returns the text written."""
    from cxrkg.ontology.files import atomic_write

    text = render_owl([canonical(c) for c in concepts], meta)
    atomic_write(path, text)
    return text
