"""The ontology's mirror in a real embedded FalkorDB: nodes, hierarchy, links, idempotence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cxrkg.ontology import curation, load_ontology
from cxrkg.ontology.files import BUNDLED
from cxrkg.ontology.sync import ontology_edges, sync_ontology, synced_version


@pytest.fixture(scope="module")
def onto():
    return load_ontology(BUNDLED)


def _one(store, query: str, **params) -> object:  # noqa: ANN001
    rows = store.run(query, params, read_only=True)
    return next(iter(rows[0].values()))


def _study(store, study_id: str, entities: list[str], region: str | None = None) -> None:  # noqa: ANN001
    """A study as the loader writes it: an observation with its entity names, a study region."""
    store.run(
        "MERGE (s:Study {study_id: $sid}) "
        "CREATE (s)-[:HAS_OBSERVATION]->(:Observation {key: $sid + '/O01', study_id: $sid,"
        " obs_id: 'O01', entities: $entities})",
        {"sid": study_id, "entities": entities},
    )
    if region:
        store.run(
            "MATCH (s:Study {study_id: $sid}) "
            "CREATE (s)-[:HAS_REGION]->(:StudyRegion {key: $sid + '/' + $region,"
            " study_id: $sid, region: $region})",
            {"sid": study_id, "region": region},
        )


def test_sync_writes_every_concept_and_relationship_of_the_ontology(store, onto) -> None:  # noqa: ANN001
    report = sync_ontology(store, onto)
    assert _one(store, "MATCH (f:Finding) RETURN count(f)") == len(onto.findings)
    assert _one(store, "MATCH (a:Anatomy) RETURN count(a)") == len(onto.regions)
    assert _one(store, "MATCH (c:Class) RETURN count(c)") == len(onto.findings) + len(onto.regions)
    assert _one(store, "MATCH (c:Category) RETURN count(c)") == report.nodes["Category"]
    edges = ontology_edges(onto)
    for rel in (
        "SUBCLASS_OF",
        "PART_OF",
        "COUNTERPART",
        "IN_CATEGORY",
        "DEFAULT_REGION",
        "COMPOSED_OF",
    ):
        expected = sum(1 for e in edges if e[2] == rel)
        assert expected > 0
        assert _one(store, f"MATCH (:Class)-[e:{rel}]->() RETURN count(e)") == expected, rel
    assert _one(store, "MATCH (:Finding)-[e:SUBCLASS_OF]->(:Finding) RETURN count(e)") == sum(
        len(c.parents) for c in onto.findings.values()
    )
    assert synced_version(store) == onto.version


def test_consolidation_reaches_lung_opacity_through_subclass_of(store, onto) -> None:  # noqa: ANN001
    sync_ontology(store, onto)
    rows = store.run(
        "MATCH (f:Finding {name:'consolidation'})-[:SUBCLASS_OF*]->(p) RETURN p.name",
        read_only=True,
    )
    assert {"airspace opacity", "lung opacity"} <= {r["p.name"] for r in rows}
    rows = store.run(
        "MATCH (a:Anatomy {name:'left costophrenic angle'})-[:PART_OF*]->(p) "
        "RETURN DISTINCT p.name AS n",
        read_only=True,
    )
    assert {"costophrenic angles", "left lung", "lungs", "chest"} <= {r["n"] for r in rows}


def test_concept_nodes_carry_labels_codes_and_n10s_conventions(store, onto) -> None:  # noqa: ANN001
    sync_ontology(store, onto)
    [row] = store.run(
        "MATCH (f:Finding {name:'pleural effusion'}) RETURN f, labels(f) AS l", read_only=True
    )
    node = row["f"].properties
    assert set(row["l"]) == {"Finding", "Class"}
    assert node["uri"] == onto.findings["pleural effusion"].iri
    assert "effusion" in node["synonyms"] and node["snomedct"] == "60046008"
    assert any(c.startswith("UMLS:") for c in node["codes"])
    assert (
        _one(store, "MATCH (:Anatomy {name:'left lung'})-[:COUNTERPART]->(r) RETURN r.name")
        == "right lung"
    )
    assert (
        _one(
            store,
            "MATCH (:Finding {name:'picc'})-[:IN_CATEGORY]->(c:Category "
            "{name:'TUBES_AND_LINES'}) RETURN count(c)",
        )
        == 1
    )


def test_sync_is_idempotent(store, onto) -> None:  # noqa: ANN001
    _study(store, "s1", ["consolidation"], "left lung")
    first = sync_ontology(store, onto)
    assert first.changed and first.affected_studies == ["s1"]
    counts = store.run("MATCH (n) RETURN count(n) AS n", read_only=True)
    edges = store.run("MATCH ()-[e]->() RETURN count(e) AS n", read_only=True)
    second = sync_ontology(store, onto)
    assert not second.changed and second.affected_studies == []
    assert second.added == second.updated == second.removed == []
    assert store.run("MATCH (n) RETURN count(n) AS n", read_only=True) == counts
    assert store.run("MATCH ()-[e]->() RETURN count(e) AS n", read_only=True) == edges


def test_studies_loaded_before_and_after_the_sync_are_linked(store, onto) -> None:  # noqa: ANN001
    _study(store, "before", ["Pleural effusions", "not in any ontology"], "bibasilar")
    sync_ontology(store, onto)
    _study(store, "after", ["ETT"], "left lung")
    report = sync_ontology(store, onto)
    assert report.affected_studies == ["after"] and report.links_added == 2
    rows = store.run(
        "MATCH (o:Observation)-[:HAS_ENTITY]->(f:Finding) "
        "RETURN o.study_id AS s, f.name AS f ORDER BY s",
        read_only=True,
    )
    assert rows == [
        {"s": "after", "f": "endotracheal tube"},
        {"s": "before", "f": "pleural effusion"},
    ]
    rows = store.run(
        "MATCH (r:StudyRegion)-[:IS_A]->(a:Anatomy) RETURN r.study_id AS s, a.name AS a ORDER BY s",
        read_only=True,
    )
    assert rows == [{"s": "after", "a": "left lung"}, {"s": "before", "a": "lung bases"}]
    assert report.unresolved_entities == {"not in any ontology": 1}
    # the graph answers ontology questions about studies
    rows = store.run(
        "MATCH (s:Study)-[:HAS_OBSERVATION]->(:Observation)-[:HAS_ENTITY]->(:Finding)"
        "-[:SUBCLASS_OF*0..]->(:Finding {name: 'support devices'}) "
        "RETURN DISTINCT s.study_id AS s",
        read_only=True,
    )
    assert rows == [{"s": "after"}]


def test_after_a_merge_sync_moves_links_to_the_survivor_and_names_affected_studies(
    store, tmp_path: Path
) -> None:  # noqa: ANN001
    owl = tmp_path / "cxrkg.owl"
    shutil.copyfile(BUNDLED, owl)
    _study(store, "s-infiltrate", ["infiltration"])
    _study(store, "s-effusion", ["pleural effusion"])
    sync_ontology(store, load_ontology(owl))
    curation.merge(
        owl, "dr a", "same thing", kind="finding", name="infiltration", into="lung opacity"
    )
    report = sync_ontology(store, load_ontology(owl))
    assert report.affected_studies == ["s-infiltrate"]
    assert set(report.updated) >= {"finding:infiltration", "finding:lung opacity"}
    assert (
        _one(
            store, "MATCH (:Observation {key:'s-infiltrate/O01'})-[:HAS_ENTITY]->(f) RETURN f.name"
        )
        == "lung opacity"
    )
    assert _one(store, "MATCH (f:Finding {name:'infiltration'}) RETURN f.deprecated") is True
    assert (
        _one(store, "MATCH (:Finding {name:'infiltration'})-[:REPLACED_BY]->(f) RETURN f.name")
        == "lung opacity"
    )


def test_after_a_rename_sync_replaces_the_node_and_keeps_the_links(store, tmp_path: Path) -> None:  # noqa: ANN001
    owl = tmp_path / "cxrkg.owl"
    shutil.copyfile(BUNDLED, owl)
    _study(store, "s1", ["consolidation"])
    sync_ontology(store, load_ontology(owl))
    curation.rename(
        owl,
        "dr a",
        "clearer",
        kind="finding",
        name="consolidation",
        new_label="airspace consolidation",
    )
    report = sync_ontology(store, load_ontology(owl))
    assert "finding:consolidation" in report.removed
    assert "finding:airspace consolidation" in report.added
    assert report.affected_studies == ["s1"]
    assert _one(store, "MATCH (f:Finding {name:'consolidation'}) RETURN count(f)") == 0
    assert _one(store, "MATCH (:Observation)-[:HAS_ENTITY]->(f:Finding) RETURN f.name") == (
        "airspace consolidation"
    )
    assert (
        _one(
            store,
            "MATCH (:Finding {name:'pneumonia'})-[:SUBCLASS_OF]->"
            "(f:Finding {name:'airspace consolidation'}) RETURN count(f)",
        )
        == 1
    )


def test_removing_a_synonym_unlinks_the_study_regions_that_used_it(store, tmp_path: Path) -> None:  # noqa: ANN001
    owl = tmp_path / "cxrkg.owl"
    shutil.copyfile(BUNDLED, owl)
    _study(store, "s-bibasilar", ["atelectasis"], "bibasilar")
    _study(store, "s-left", ["atelectasis"], "left lung")
    sync_ontology(store, load_ontology(owl))
    assert _one(store, "MATCH (:StudyRegion)-[e:IS_A]->() RETURN count(e)") == 2
    curation.remove_synonym(
        owl, "dr a", "too loose", kind="region", name="lung bases", synonym="bibasilar"
    )
    report = sync_ontology(store, load_ontology(owl))
    assert report.links_removed == 1 and report.unresolved_regions == {"bibasilar": 1}
    assert "s-bibasilar" in report.affected_studies and "s-left" not in report.affected_studies
    rows = store.run(
        "MATCH (r:StudyRegion)-[:IS_A]->(a) RETURN r.study_id AS s, a.name AS a", read_only=True
    )
    assert rows == [{"s": "s-left", "a": "left lung"}]
