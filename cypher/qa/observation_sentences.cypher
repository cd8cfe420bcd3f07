// One row per observation of each study that comes from report sentences: the texts of those sentences (the QA audit shows them beside a disagreement).
// $study_ids: study ids of the batch
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_OBSERVATION]->(o:Observation)-[:FROM_SENTENCE]->(t:Sentence)
WITH sid, o.obs_id AS obs_id, t ORDER BY t.sent_id
RETURN sid AS study_id, obs_id, collect(t.text) AS sentences
