// Removes HAS_ENTITY links of the given studies' observations to findings that none of the observation's entity texts map to; returns the removed links per study
// $mapping: entity text -> finding name (texts the ontology does not know are left out)
// $study_ids: the studies to unlink (the caller goes through every study in chunks)
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
WITH s
MATCH (s)-[:HAS_OBSERVATION|HAS_INDICATION|ANSWERED_BY*1..2]->(o:Observation)-[e:HAS_ENTITY]->(f:Finding)
WITH o, e, f, [text IN coalesce(o.entities, []) WHERE $mapping[text] IS NOT NULL | $mapping[text]] AS names
WHERE NOT f.name IN names
DELETE e
RETURN o.study_id AS study_id, count(*) AS links
