// Links each observation of the given studies (report observations and indication answers) to the findings its entity texts map to (HAS_ENTITY); returns the new links per study
// $mapping: entity text -> finding name (texts the ontology does not know are left out)
// $study_ids: the studies to link (the caller goes through every study in chunks, so that no statement meets the per-query memory limit)
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
WITH s
MATCH (s)-[:HAS_OBSERVATION|HAS_INDICATION|ANSWERED_BY*1..2]->(o:Observation)
UNWIND coalesce(o.entities, []) AS text
WITH DISTINCT o, $mapping[text] AS name
WHERE name IS NOT NULL
MATCH (f:Finding {name: name})
WHERE NOT (o)-[:HAS_ENTITY]->(f)
MERGE (o)-[:HAS_ENTITY]->(f)
RETURN o.study_id AS study_id, count(*) AS links
