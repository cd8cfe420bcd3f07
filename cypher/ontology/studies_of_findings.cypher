// Returns the study ids whose observations are linked to any of the given findings
// $names: finding names
MATCH (f:Finding)<-[:HAS_ENTITY]-(o:Observation)
WHERE f.name IN $names
RETURN DISTINCT o.study_id AS study_id
