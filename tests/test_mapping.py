"""Concept mapping: exact label, synonyms and normalised forms, embeddings above a threshold,
non-resolved below it; the ontology's embeddings are cached on disk per version."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkg.ingest.mapping import ConceptMapper
from cxrkg.ontology import load_ontology
from cxrkg.ontology.model import Ontology


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> ConceptMapper:
    return ConceptMapper(load_ontology(), cache_dir=tmp_path_factory.mktemp("emb"))


@pytest.mark.parametrize(
    ("text", "kind", "name", "method"),
    [
        ("pleural effusion", "finding", "pleural effusion", "exact"),
        ("Pleural Effusions", "finding", "pleural effusion", "exact"),
        ("ETT", "finding", "endotracheal tube", "synonym"),
        ("air under the diaphragm", "finding", "sub-diaphragmatic air", "synonym"),
        ("small left pleural effusions", "finding", "pleural effusion", "normalized"),
        ("opacity in the left lung", "finding", "lung opacity", "normalized"),
        ("left lower lobe", "region", "left lower lobe", "exact"),
        ("right basilar", "region", "right lower lung zone", "synonym"),
    ],
)
def test_lexical_mapping(
    mapper: ConceptMapper, text: str, kind: str, name: str, method: str
) -> None:
    m = mapper.map(text, kind)
    assert (m.name, m.method) == (name, method)


def test_embedding_maps_a_paraphrase_and_leaves_nonsense_unresolved(mapper: ConceptMapper) -> None:
    hit = mapper.map("enlargement of the heart", "finding")
    assert hit.method == "embedding" and hit.score >= mapper.threshold
    assert hit.name in ("enlarged cardiac silhouette", "cardiomegaly")
    miss = mapper.map("zebra crossing", "finding")
    assert (miss.name, miss.method) == (None, "none") and miss.score < mapper.threshold


def test_embeddings_cached_on_disk_per_ontology_version(
    mapper: ConceptMapper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapper.ontology_matrix("finding")
    files = sorted(p.name for p in mapper.cache_dir.glob("*.npz"))
    assert any("-finding-" in f for f in files)
    onto = load_ontology()
    other = Ontology(onto.concepts(), version=onto.version + "-edited")
    again = ConceptMapper(onto, cache_dir=mapper.cache_dir)
    # Read from disk, not re-encoded: the embedding model must not be asked.
    monkeypatch.setattr(
        "cxrkg.ingest.mapping.embedder_for",
        lambda model: pytest.fail(f"the ontology was embedded again with {model}"),
    )
    again.ontology_matrix("finding")
    edited = ConceptMapper(other, cache_dir=mapper.cache_dir)
    assert edited._cache_file("finding") != again._cache_file("finding")


def test_hundred_thousand_mentions_map_each_form_consistently(mapper: ConceptMapper) -> None:
    forms = [
        "small left pleural effusion",
        "ETT",
        "mild cardiomegaly",
        "bibasilar atelectasis",
        "enlargement of the heart",
        "zebra crossing",
        "opacity in the right lung",
        "stable moderate cardiomegaly",
        "right ij line",
        "hyperinflated lungs",
    ]
    mentions = [
        f"{forms[i % len(forms)]}" if i % 7 else f"{forms[i % len(forms)]} {i % 50}"
        for i in range(100_000)
    ]
    fresh = ConceptMapper(mapper.onto, cache_dir=mapper.cache_dir)
    out = fresh.map_many(mentions, "finding")
    assert len(out) == 100_000
    assert out[0].name == "pleural effusion"
    # Speed is measured in bench/extraction.py; here: every mention gets the answer of its
    # form, so the repeats were mapped once each, not re-embedded one by one.
    by_form = {}
    for text, result in zip(mentions, out, strict=True):
        assert by_form.setdefault(text, result.name) == result.name
