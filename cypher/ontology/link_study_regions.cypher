// Links each study region of the given studies to the anatomy concept its region text maps to (IS_A); returns the new links per study
// $mapping: region text -> anatomy name (texts the ontology does not know are left out)
// $study_ids: the studies to link (the caller goes through every study in chunks, so that no statement meets the per-query memory limit)
UNWIND $study_ids AS sid
MATCH (st:Study {study_id: sid})
WITH st
MATCH (st)-[:HAS_REGION]->(s:StudyRegion)
WITH s, $mapping[coalesce(s.region, '')] AS name
WHERE name IS NOT NULL
MATCH (a:Anatomy {name: name})
WHERE NOT (s)-[:IS_A]->(a)
MERGE (s)-[:IS_A]->(a)
RETURN s.study_id AS study_id, count(*) AS links
