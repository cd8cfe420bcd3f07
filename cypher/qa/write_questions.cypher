// Creates one Question per row under its Study (keyed by study_id/question_id); returns how many were written.
// $rows: [{study_id, key, props}] with flat property maps
UNWIND $rows AS r
MATCH (s:Study {study_id: r.study_id})
MERGE (q:Question {key: r.key})
SET q += r.props
MERGE (s)-[:HAS_QUESTION]->(q)
RETURN count(q) AS written
