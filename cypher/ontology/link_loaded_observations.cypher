// Links the given studies' observations to the findings their entity texts map to (HAS_ENTITY); returns the new links per study
// $study_ids: the studies just loaded
// $mapping: entity text -> finding name (only texts that are not finding names themselves)
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
WITH s
OPTIONAL MATCH (s)-[:HAS_INDICATION]->(:Indication)-[:ANSWERED_BY]->(a:Observation)
WITH s, collect(a) AS answers
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(r:Observation)
WITH answers, collect(r) AS reports
UNWIND answers + reports AS o
UNWIND coalesce(o.entities, []) AS text
WITH DISTINCT o, $mapping[text] AS name
WHERE name IS NOT NULL
MATCH (f:Finding {name: name})
WHERE NOT (o)-[:HAS_ENTITY]->(f)
MERGE (o)-[:HAS_ENTITY]->(f)
RETURN o.study_id AS study_id, count(*) AS links
