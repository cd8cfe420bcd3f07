// Chains each patient's ordered studies (study_order, then study_datetime) with NEXT_STUDY; run after load/unlink_next_study for the same patients; studies without either are left out
// $patient_ids: patients whose studies changed
UNWIND $patient_ids AS pid
MATCH (p:Patient {patient_id: pid})
WITH pid, p
MATCH (p)-[:HAS_STUDY]->(s:Study)
WHERE s.study_order IS NOT NULL OR s.study_datetime IS NOT NULL
WITH pid, s
ORDER BY pid, coalesce(s.study_order, 0), coalesce(s.study_datetime, ''), s.study_id
WITH pid, collect(s) AS studies
UNWIND range(0, size(studies) - 2) AS i
WITH studies[i] AS a, studies[i + 1] AS b
CREATE (a)-[:NEXT_STUDY]->(b)
