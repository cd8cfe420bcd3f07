// Returns studies with an observation of a finding or of any finding under it in the ontology, optionally located in a region or any part of it, with the other study filters; one row per study with the matching observations, paginated
// $finding: finding concept, e.g. 'lung opacity' (consolidation, atelectasis... match too)
// $region: region concept, e.g. 'left lung' (its parts match too), or '' for any
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
OPTIONAL MATCH (o)-[:LOCATED_AT]->(:StudyRegion)-[:IS_A]->(:Anatomy)-[:PART_OF*0..8]->(a:Anatomy {name: $region})
WITH s, o, a
WHERE $region = '' OR a IS NOT NULL
WITH s, collect(DISTINCT o.name) AS matches
RETURN s.study_id AS study_id, s.patient_id AS patient_id, s.split AS split, s.grade AS grade,
       s.study_order AS study_order, matches
ORDER BY patient_id, study_order, study_id
SKIP $skip
LIMIT $limit
