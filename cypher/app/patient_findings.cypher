// Returns a patient's studies in order, each with its positive and negative finding concepts and the changes its observations report
// $patient_id: the patient
MATCH (p:Patient {patient_id: $patient_id})
WITH p
MATCH (p)-[:HAS_STUDY]->(s:Study)
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
WITH s, o, CASE WHEN o.positiveness = 'pos' THEN o.entities ELSE [] END AS pos,
     CASE WHEN o.positiveness = 'neg' THEN o.entities ELSE [] END AS neg,
     CASE WHEN size(o.changes) > 0 THEN [o.name + ': ' + reduce(t = '', c IN o.changes | t + c + ' ')] ELSE [] END AS chg
WITH s, collect(pos) AS pos, collect(neg) AS neg, collect(chg) AS chg
RETURN s.study_id AS study_id, s.study_order AS study_order, s.study_datetime AS study_datetime,
       reduce(a = [], x IN pos | a + x) AS positive, reduce(a = [], x IN neg | a + x) AS negative,
       reduce(a = [], x IN chg | a + x) AS changes
ORDER BY study_order, study_id
