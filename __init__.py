"""cxrkg: chest X-ray scene graphs in a Cypher graph database, an OWL ontology, and QA generation."""

__version__ = "0.1.0"
