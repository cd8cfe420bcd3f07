// Creates one Answer per row under its question (top level) or parent answer, linked to the observation it was made from; returns how many were written.
// $rows: [{question_key, key, parent_key, obs_key, props}], parents before children
UNWIND $rows AS r
MATCH (q:Question {key: r.question_key})
MERGE (a:Answer {key: r.key})
SET a += r.props
WITH r, q, a
OPTIONAL MATCH (p:Answer {key: coalesce(r.parent_key, '')})
FOREACH (_ IN CASE WHEN p IS NULL THEN [1] ELSE [] END | MERGE (q)-[:HAS_ANSWER]->(a))
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (p)-[:SUB_ANSWER]->(a))
WITH r, a
OPTIONAL MATCH (o:Observation {key: coalesce(r.obs_key, '')})
FOREACH (_ IN CASE WHEN o IS NULL THEN [] ELSE [1] END | MERGE (a)-[:FROM_OBSERVATION]->(o))
RETURN count(a) AS written
