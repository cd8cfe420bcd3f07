// Returns studies matching optional filters on patient, study, split and quality grade, one row per study with its number of observations, paginated
// $patient_id: patient id, or '' for any
// $study_id: study id, or '' for any
// $split: train, validate, test..., or '' for any
// $grade: scene-graph quality grade (A++, A+, A, B, C, D), or '' for any
// $skip: rows to skip (pagination)
// $limit: maximum rows
MATCH (s:Study)
WHERE ($patient_id = '' OR s.patient_id = $patient_id)
  AND ($study_id = '' OR s.study_id = $study_id)
  AND ($split = '' OR s.split = $split)
  AND ($grade = '' OR s.grade = $grade)
WITH s
ORDER BY s.patient_id, s.study_order, s.study_id
SKIP $skip
LIMIT $limit
// count observations for this page only, not for every study in the graph
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
WITH s, count(o) AS observations, sum(CASE WHEN o.positiveness = 'pos' THEN 1 ELSE 0 END) AS positive
RETURN s.study_id AS study_id, s.patient_id AS patient_id, s.split AS split, s.grade AS grade,
       s.study_order AS study_order, observations, positive
ORDER BY patient_id, study_order, study_id
