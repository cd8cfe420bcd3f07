// Links each study region to the anatomy concept its region text maps to (IS_A); returns the new links per study
// $mapping: region text -> anatomy name (texts the ontology does not know are left out)
MATCH (s:StudyRegion)
WITH s, $mapping[coalesce(s.region, '')] AS name
WHERE name IS NOT NULL
MATCH (a:Anatomy {name: name})
WHERE NOT (s)-[:IS_A]->(a)
MERGE (s)-[:IS_A]->(a)
RETURN s.study_id AS study_id, count(*) AS links
