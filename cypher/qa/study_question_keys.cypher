// Returns the keys of a study's stored questions in the order they were generated
// $study_id: the study
MATCH (:Study {study_id: $study_id})-[:HAS_QUESTION]->(q:Question)
RETURN q.key AS key
ORDER BY q.position, q.key
