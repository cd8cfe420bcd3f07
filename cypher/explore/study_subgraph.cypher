// Returns a study's subgraph as (node, relationship, node) rows: its patient, images, sentences, observations, regions, indication and the ontology concepts they map to (QA nodes left out)
// $study_id: the study
// $limit: maximum rows
MATCH (s:Study {study_id: $study_id})
WITH s
MATCH (s)-[r]-(n)
WHERE NOT n:Question
OPTIONAL MATCH (n)-[r2]->(m)
WHERE (m.study_id = s.study_id AND NOT m:Study) OR m:Finding OR m:Anatomy
RETURN s, r, n, r2, m
LIMIT $limit
