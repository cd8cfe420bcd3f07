"""Indexes and constraints: the key of each node label, and the per-backend DDL files
`cypher/schema/<backend>.cypher` (DDL is where FalkorDB and Neo4j differ)."""

from __future__ import annotations

import hashlib
import json

from cxrkg.cypher.queries import queries_root, statements

# The key property of each node label. FalkorDB gets exact-match indexes plus uniqueness
# constraints on these; Neo4j gets the constraints in cypher/schema/neo4j.cypher.
NODE_KEYS: dict[str, str] = {
    "Patient": "patient_id",
    "Study": "study_id",
    "Image": "image_id",
    "Sentence": "key",
    "Observation": "key",
    "StudyRegion": "key",
    "Indication": "key",
    "Finding": "name",
    "Anatomy": "name",
    "Category": "name",
    "Question": "key",  # study_id/question_id: question ids are unique within a study
    "Answer": "key",  # study_id/question_id/answer_id
    "Meta": "key",
}


def schema_text(backend: str) -> str:
    """The backend's DDL file, as written."""
    return (queries_root() / "schema" / f"{backend}.cypher").read_text(encoding="utf-8")


def schema_statements(backend: str) -> list[str]:
    """The backend's DDL statements, in file order."""
    return statements(schema_text(backend))


def schema_digest(backend: str) -> str:
    """A digest of the backend's DDL file and the node keys: what set-up last applied is
    kept in the graph under it, so set-up runs again only when either changes."""
    payload = json.dumps([schema_text(backend), sorted(NODE_KEYS.items())])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
