// Removes HAS_ENTITY links to findings that none of the observation's entity texts map to; returns the removed links per study
// $mapping: entity text -> finding name (texts the ontology does not know are left out)
MATCH (o:Observation)-[e:HAS_ENTITY]->(f:Finding)
WITH o, e, f, [text IN coalesce(o.entities, []) WHERE $mapping[text] IS NOT NULL | $mapping[text]] AS names
WHERE NOT f.name IN names
DELETE e
RETURN o.study_id AS study_id, count(*) AS links
