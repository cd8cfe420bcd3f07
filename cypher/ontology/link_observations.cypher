// Links each observation to the findings its entity texts map to (HAS_ENTITY); returns the new links per study
// $mapping: entity text -> finding name (texts the ontology does not know are left out)
MATCH (o:Observation)
UNWIND coalesce(o.entities, []) AS text
WITH DISTINCT o, $mapping[text] AS name
WHERE name IS NOT NULL
MATCH (f:Finding {name: name})
WHERE NOT (o)-[:HAS_ENTITY]->(f)
MERGE (o)-[:HAS_ENTITY]->(f)
RETURN o.study_id AS study_id, count(*) AS links
