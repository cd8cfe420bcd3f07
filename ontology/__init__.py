"""The reference ontology: OWL-encoded findings and anatomy, its API, validation, curation and
its mirror in the graph.

    from cxrkg.ontology import load_ontology
    onto = load_ontology()
    onto.finding("ETT").name            # 'endotracheal tube'
    onto.ancestors("consolidation")     # ['airspace opacity', 'lung opacity']
"""

from cxrkg.ontology.loader import load_ontology
from cxrkg.ontology.model import Concept, Ontology, normalize
from cxrkg.ontology.owl_io import OntologyFileError

__all__ = ["Concept", "Ontology", "OntologyFileError", "load_ontology", "normalize"]
