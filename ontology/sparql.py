"""SPARQL over the ontology: owlready2's native engine first, rdflib for what it cannot run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PREFIXES = """PREFIX cx: <http://cxrkg.org/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""


class SparqlError(ValueError):
    pass


def _plain(value: Any) -> Any:
    iri = getattr(value, "iri", None)
    if iri is not None:
        return iri
    return value if isinstance(value, int | float | bool) or value is None else str(value)


def sparql(
    query: str, path: str | Path | None = None, *, engine: str = "auto"
) -> tuple[str, list[list[Any]]]:
    """Rows of a SPARQL SELECT; `engine` is owlready2, rdflib or auto (owlready2, else rdflib).

    The prefixes cx, skos, rdfs, owl and rdf are declared for you. Returns (engine used, rows).
    """
    from cxrkg.ontology.files import default_path

    path = Path(path) if path else default_path()
    text = query if "PREFIX cx:" in query else PREFIXES + query
    if engine in ("auto", "owlready2"):
        import owlready2

        world = owlready2.World()
        world.get_ontology(path.resolve().as_uri()).load()
        try:
            return "owlready2", [[_plain(v) for v in row] for row in world.sparql(text)]
        except Exception as exc:  # owlready2's engine covers most, not all, of SPARQL 1.1
            if engine == "owlready2":
                raise SparqlError(f"owlready2 cannot run this query: {exc}") from exc
    if engine not in ("auto", "rdflib", "owlready2"):
        raise SparqlError(f"unknown SPARQL engine {engine!r}; use auto, owlready2 or rdflib")
    from cxrkg.ontology.owl_io import read_graph

    try:
        result = read_graph(path).query(text)
    except Exception as exc:  # rdflib's parser raises pyparsing errors
        raise SparqlError(f"rdflib cannot run this query: {exc}") from exc
    return "rdflib", [[_plain(v) for v in row] for row in result]
