// Links the given studies' regions to the anatomy concepts their region texts map to (IS_A); returns the new links per study
// $study_ids: the studies just loaded
// $mapping: region text -> anatomy name (only texts that are not anatomy names themselves)
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
