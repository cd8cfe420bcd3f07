// Returns a patient's studies in order with the changes their observations report
// $patient_id: the patient
MATCH (p:Patient {patient_id: $patient_id})
WITH p
MATCH (p)-[:HAS_STUDY]->(s:Study)
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
WHERE size(o.changes) > 0
RETURN s.study_id AS study_id, s.study_order AS study_order,
       collect(o.name + ': ' + reduce(t = '', c IN o.changes | t + c + ' ')) AS changes
ORDER BY study_order, study_id
