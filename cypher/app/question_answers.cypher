// Returns one question's answers, every level, with their parent answer, the observation and sentence each came from
// $question_key: the question's key (study_id/question_id)
MATCH (q:Question {key: $question_key})
WITH q
MATCH (q)-[:HAS_ANSWER|SUB_ANSWER*1..6]->(a:Answer)
OPTIONAL MATCH (p:Answer)-[:SUB_ANSWER]->(a)
OPTIONAL MATCH (a)-[:FROM_OBSERVATION]->(o:Observation)
OPTIONAL MATCH (o)-[:FROM_SENTENCE]->(n:Sentence)
RETURN a, p.key AS parent_key, o.obs_id AS obs_id, o.name AS observation,
       collect(DISTINCT n.text) AS sentences
ORDER BY a.answer_level, a.answer_id
