"""`load_ontology()`: parse the OWL file once, then serve it from a JSON cache keyed by its hash.

Warm loads read the file's bytes (for the hash) and the cached JSON; owlready2 and rdflib are
only imported on a cold load, for validation, or for curation.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

from cxrkg.config import get_settings
from cxrkg.ontology.files import content_hash, default_path
from cxrkg.ontology.model import Concept, Ontology

CACHE_FORMAT = 2  # bump when the cached JSON layout changes
_memory: dict[tuple[str, str], Ontology] = {}
_lock = threading.Lock()


def _cache_file(version: str) -> Path:
    return get_settings().cache_dir / "ontology" / f"{version}.v{CACHE_FORMAT}.json"


def load_ontology(path: str | Path | None = None, *, use_cache: bool = True) -> Ontology:
    """The ontology at `path` (default: CXRKG_ONTOLOGY_PATH, the curated copy, or the bundled file)."""
    from cxrkg.ontology.owl_io import OntologyFileError

    path = Path(path) if path else default_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OntologyFileError(f"cannot read the ontology file {path}: {exc}") from exc
    version = content_hash(data)
    key = (str(path.resolve()), version)
    if use_cache and key in _memory:
        return _memory[key]
    with _lock:
        onto = _from_disk_cache(version, path) if use_cache else None
        if onto is None:
            from cxrkg.ontology.owl_io import read_owl

            concepts, meta = read_owl(path)
            onto = Ontology(concepts, version=version, path=str(path), meta=meta)
            if use_cache:
                _to_disk_cache(version, concepts, meta)
        if use_cache:
            # Keep one version per file: a long-running app that curates would otherwise
            # hold every version it ever loaded.
            for stale in [k for k in _memory if k[0] == key[0]]:
                del _memory[stale]
            _memory[key] = onto
    return onto


def _from_disk_cache(version: str, path: Path) -> Ontology | None:
    cache = _cache_file(version)
    try:
        payload = json.loads(cache.read_text(encoding="utf-8"))
        concepts = [Concept.from_json(c) for c in payload["concepts"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no cache yet, or an unreadable one: parse the OWL file again
    return Ontology(concepts, version=version, path=str(path), meta=payload.get("meta", {}))


def _to_disk_cache(version: str, concepts: list[Concept], meta: dict[str, str]) -> None:
    from cxrkg.ontology.files import atomic_write

    text = json.dumps(
        {"version": version, "meta": meta, "concepts": [c.to_json() for c in concepts]},
        ensure_ascii=False,
    )
    with contextlib.suppress(OSError):  # a read-only cache folder only costs speed
        atomic_write(_cache_file(version), text)


def prime_cache(version: str, concepts: list[Concept], meta: dict[str, str]) -> None:
    """Store concepts just written as `version`, so the next load need not parse the file."""
    _to_disk_cache(version, sorted(concepts, key=lambda c: (c.kind, c.name)), meta)


def clear_memory_cache() -> None:
    _memory.clear()
