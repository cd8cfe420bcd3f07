// Returns studies with a positive finding under a given finding anywhere inside a given anatomical region (ontology part-of), e.g. lung opacity in any part of the left lung
// $finding: ancestor finding, e.g. 'lung opacity'
// $region: ancestor region, e.g. 'left lung'
// $limit: maximum rows
MATCH (s:Study)-[:HAS_OBSERVATION]->(o:Observation)-[:HAS_ENTITY]->(:Finding)-[:SUBCLASS_OF*0..8]->(:Finding {name: $finding})
WHERE o.positiveness = 'pos'
MATCH (o)-[:LOCATED_AT]->(:StudyRegion)-[:IS_A]->(:Anatomy)-[:PART_OF*0..8]->(:Anatomy {name: $region})
RETURN DISTINCT s.study_id AS study_id, o.obs_id AS obs_id, o.name AS observation
ORDER BY study_id, obs_id
LIMIT $limit
