// Creates one Question per row under its Study; returns how many were written.
// $rows: [{study_id, question_id, props}] with flat property maps
UNWIND $rows AS r
MATCH (s:Study {study_id: r.study_id})
MERGE (q:Question {question_id: r.question_id})
SET q += r.props
MERGE (s)-[:HAS_QUESTION]->(q)
RETURN count(q) AS written
