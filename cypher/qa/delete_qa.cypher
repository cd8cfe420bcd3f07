// Deletes the questions and answers stored for each study of the batch (before they are written again); returns how many questions were removed.
// $study_ids: study ids whose QA is replaced
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_QUESTION]->(q:Question)
OPTIONAL MATCH (q)-[:HAS_ANSWER]->(:Answer)-[:SUB_ANSWER*0..]->(a:Answer)
WITH q, collect(DISTINCT a) AS answers
FOREACH (a IN answers | DETACH DELETE a)
DETACH DELETE q
RETURN count(q) AS deleted
