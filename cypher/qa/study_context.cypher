// One row per study of the batch: patient, properties (quality q_*, grade), frontal/other images, top-level order, previous study.
// $study_ids: study ids of the batch
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
OPTIONAL MATCH (prev:Study)-[:NEXT_STUDY]->(s)
RETURN sid AS study_id,
       s.patient_id AS patient_id,
       properties(s) AS study,
       prev.study_id AS previous_study_id,
       [(s)-[:HAS_IMAGE]->(i:Image) | properties(i)] AS images,
       [(s)-[:HAS_INDICATION]->(ind:Indication) | properties(ind)] AS indications
ORDER BY study_id
