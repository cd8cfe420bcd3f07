// Returns the studies whose observations map to an ontology finding directly, with how many observations each and how many are positive, paginated
// $name: finding concept, e.g. 'pleural effusion'
// $skip: rows to skip (pagination)
// $limit: maximum rows
MATCH (f:Finding {name: $name})
WITH f
MATCH (f)<-[:HAS_ENTITY]-(o:Observation)<-[:HAS_OBSERVATION]-(s:Study)
RETURN s.study_id AS study_id, s.patient_id AS patient_id, count(o) AS observations,
       sum(CASE WHEN o.positiveness = 'pos' THEN 1 ELSE 0 END) AS positive,
       collect(DISTINCT o.name) AS names
ORDER BY study_id
SKIP $skip
LIMIT $limit
