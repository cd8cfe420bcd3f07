// Returns the distinct entity texts of the given studies' observations that name no finding node exactly (synonyms, other spellings), with how many observations carry each
// $study_ids: the studies just loaded
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
WITH s
OPTIONAL MATCH (s)-[:HAS_INDICATION]->(:Indication)-[:ANSWERED_BY]->(a:Observation)
WITH s, collect(a) AS answers
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(r:Observation)
WITH answers, collect(r) AS reports
UNWIND answers + reports AS o
UNWIND coalesce(o.entities, []) AS text
WITH text, count(*) AS n
OPTIONAL MATCH (f:Finding {name: text})
WITH text, n, f
WHERE f IS NULL
RETURN text, n
