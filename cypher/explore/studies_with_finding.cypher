// Returns studies with a positive observation of a finding or of any finding under it in the ontology, with the observations' names
// $finding: finding name, e.g. 'lung opacity' (includes its descendants such as consolidation once the ontology is synced)
// $limit: maximum rows
MATCH (s:Study)-[:HAS_OBSERVATION]->(o:Observation)
WHERE o.positiveness = 'pos'
OPTIONAL MATCH (o)-[:HAS_ENTITY]->(:Finding)-[:SUBCLASS_OF*1..8]->(anc:Finding {name: $finding})
WITH s, o, anc
WHERE $finding IN o.entities OR anc IS NOT NULL
RETURN s.study_id AS study_id, s.patient_id AS patient_id, collect(DISTINCT o.name) AS observations
ORDER BY study_id
LIMIT $limit
