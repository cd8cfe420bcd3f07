// One row per study: regions its observations are located at with their parents (study SUB_REGION_OF, ontology PART_OF), and finding entities it mentions with their parents (entities_parents, ontology SUBCLASS_OF).
// $study_ids: study ids of the batch
// Every pattern comprehension names its own variables: FalkorDB returns [] for a later comprehension that reuses a name.
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
RETURN sid AS study_id,
       [(s)-[:HAS_OBSERVATION]->(:Observation)-[:LOCATED_AT]->(r:StudyRegion) | r.region] AS regions,
       [(s)-[:HAS_OBSERVATION]->(:Observation)-[:LOCATED_AT]->(:StudyRegion)-[:SUB_REGION_OF*1..]->(p:StudyRegion) | p.region] AS region_parents,
       [(s)-[:HAS_OBSERVATION]->(:Observation)-[:LOCATED_AT]->(:StudyRegion)-[:IS_A]->(:Anatomy)-[:PART_OF*1..]->(a:Anatomy) | a.name] AS region_ontology_parents,
       [(s)-[:HAS_OBSERVATION]->(eo:Observation) | coalesce(eo.entities, [])] AS entities,
       [(s)-[:HAS_OBSERVATION]->(po:Observation) | coalesce(po.entities_parents, [])] AS entity_parents,
       [(s)-[:HAS_OBSERVATION]->(:Observation)-[:HAS_ENTITY]->(:Finding)-[:SUBCLASS_OF*1..]->(f:Finding) | f.name] AS entity_ontology_parents
