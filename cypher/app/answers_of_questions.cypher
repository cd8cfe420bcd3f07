// Returns the answers of several questions (every level) as flat rows with their parent answer, for export
// $question_keys: list of question keys (study_id/question_id)
UNWIND $question_keys AS k
MATCH (q:Question {key: k})
WITH q
MATCH (q)-[:HAS_ANSWER|SUB_ANSWER*1..6]->(a:Answer)
OPTIONAL MATCH (p:Answer)-[:SUB_ANSWER]->(a)
RETURN q.key AS question_key, q.question_id AS question_id, a.answer_id AS answer_id,
       p.answer_id AS parent_id, a.answer_type AS answer_type, a.answer_level AS answer_level,
       a.text AS text, a.regions AS regions, a.entities AS entities,
       a.positiveness AS positiveness, a.rating AS rating, a.image_ids AS image_ids,
       a.bboxes_flat AS bboxes_flat, a.bboxes_per_image AS bboxes_per_image
ORDER BY question_key, answer_level, answer_id
