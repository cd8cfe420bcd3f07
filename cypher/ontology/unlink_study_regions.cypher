// Removes IS_A links to anatomy the study region's region text no longer maps to; returns the removed links per study
// $mapping: region text -> anatomy name (texts the ontology does not know are left out)
MATCH (s:StudyRegion)-[e:IS_A]->(a:Anatomy)
WITH s, e, a, $mapping[coalesce(s.region, '')] AS name
WHERE name IS NULL OR a.name <> name
DELETE e
RETURN s.study_id AS study_id, count(*) AS links
