// Returns studies with an observation of a finding or of any finding under it in the ontology, with the other study filters; one row per study with the matching observations, paginated
// $finding: finding concept, e.g. 'lung opacity' (consolidation, atelectasis... match too)
// $positiveness: 'pos', 'neg', or '' for either
// $patient_id: patient id, or '' for any
// $split: split, or '' for any
// $grade: scene-graph quality grade, or '' for any
// $skip: rows to skip (pagination)
// $limit: maximum rows
MATCH (f:Finding {name: $finding})
WITH f
MATCH (f)<-[:SUBCLASS_OF*0..8]-(:Finding)<-[:HAS_ENTITY]-(o:Observation)<-[:HAS_OBSERVATION]-(s:Study)
WHERE ($positiveness = '' OR o.positiveness = $positiveness)
  AND ($patient_id = '' OR s.patient_id = $patient_id)
  AND ($split = '' OR s.split = $split)
  AND ($grade = '' OR s.grade = $grade)
WITH DISTINCT s
ORDER BY s.patient_id, s.study_order, s.study_id
SKIP $skip
LIMIT $limit
// the matching observations' names, for this page's studies only
MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)-[:HAS_ENTITY]->(:Finding)-[:SUBCLASS_OF*0..8]->(:Finding {name: $finding})
WHERE $positiveness = '' OR o.positiveness = $positiveness
RETURN s.study_id AS study_id, s.patient_id AS patient_id, s.split AS split, s.grade AS grade,
       s.study_order AS study_order, collect(DISTINCT o.name) AS matches
ORDER BY patient_id, study_order, study_id
