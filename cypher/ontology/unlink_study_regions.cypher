// Removes IS_A links of the given studies' regions to anatomy the region text no longer maps to; returns the removed links per study
// $mapping: region text -> anatomy name (texts the ontology does not know are left out)
// $study_ids: the studies to unlink (the caller goes through every study in chunks)
UNWIND $study_ids AS sid
MATCH (st:Study {study_id: sid})
WITH st
MATCH (st)-[:HAS_REGION]->(s:StudyRegion)-[e:IS_A]->(a:Anatomy)
WITH s, e, a, $mapping[coalesce(s.region, '')] AS name
WHERE name IS NULL OR a.name <> name
DELETE e
RETURN s.study_id AS study_id, count(*) AS links
