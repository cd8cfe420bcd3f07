// Returns stored questions by key with each of their answers (every level) and its parent answer, as the records written by --write-graph
// $keys: question keys (study_id/question_id)
UNWIND $keys AS k
MATCH (q:Question {key: k})
OPTIONAL MATCH (q)-[:HAS_ANSWER|SUB_ANSWER*1..8]->(a:Answer)
OPTIONAL MATCH (p:Answer)-[:SUB_ANSWER]->(a)
RETURN q.key AS key, q.record_json AS question, a.key AS answer_key, a.record_json AS answer,
       p.key AS parent_key
