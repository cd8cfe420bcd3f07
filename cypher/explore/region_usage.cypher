// Returns the studies with observations located in a study region that is an ontology region directly, with how many observations each and how many are positive, paginated
// $name: region concept, e.g. 'left lung'
// $skip: rows to skip (pagination)
// $limit: maximum rows
MATCH (a:Anatomy {name: $name})
WITH a
MATCH (a)<-[:IS_A]-(r:StudyRegion)<-[:LOCATED_AT]-(o:Observation)<-[:HAS_OBSERVATION]-(s:Study)
RETURN s.study_id AS study_id, s.patient_id AS patient_id, count(o) AS observations,
       sum(CASE WHEN o.positiveness = 'pos' THEN 1 ELSE 0 END) AS positive,
       collect(DISTINCT o.name) AS names
ORDER BY study_id
SKIP $skip
LIMIT $limit
