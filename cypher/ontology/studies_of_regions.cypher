// Returns the study ids whose study regions are linked to any of the given anatomy concepts
// $names: anatomy names
MATCH (a:Anatomy)<-[:IS_A]-(s:StudyRegion)
WHERE a.name IN $names
RETURN DISTINCT s.study_id AS study_id
