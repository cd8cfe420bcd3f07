// Returns, for each key a batch of studies would create that a node already holds, the study holding it (owner null: no study), so the loader refuses such a study before its write
// $images: rows {key, study_id} (image ids)
// $sentences: rows {key, study_id}
// $observations: rows {key, study_id} (report observations and indication answers)
// $regions: rows {key, study_id}
// $indications: rows {key, study_id}
UNWIND $images AS c
MATCH (n:Image {image_id: c.key})
WITH c, n
OPTIONAL MATCH (s:Study)-[:HAS_IMAGE]->(n)
RETURN 'images' AS kind, c.key AS key, c.study_id AS claimant, s.study_id AS owner
UNION ALL
UNWIND $sentences AS c
MATCH (n:Sentence {key: c.key})
WITH c, n
OPTIONAL MATCH (s:Study)-[:HAS_SENTENCE]->(n)
RETURN 'sentences' AS kind, c.key AS key, c.study_id AS claimant, s.study_id AS owner
UNION ALL
UNWIND $observations AS c
MATCH (n:Observation {key: c.key})
WITH c, n
OPTIONAL MATCH (s:Study)-[:HAS_OBSERVATION]->(n)
OPTIONAL MATCH (t:Study)-[:HAS_INDICATION]->(:Indication)-[:ANSWERED_BY]->(n)
RETURN 'observations' AS kind, c.key AS key, c.study_id AS claimant, coalesce(s.study_id, t.study_id) AS owner
UNION ALL
UNWIND $regions AS c
MATCH (n:StudyRegion {key: c.key})
WITH c, n
OPTIONAL MATCH (s:Study)-[:HAS_REGION]->(n)
RETURN 'regions' AS kind, c.key AS key, c.study_id AS claimant, s.study_id AS owner
UNION ALL
UNWIND $indications AS c
MATCH (n:Indication {key: c.key})
WITH c, n
OPTIONAL MATCH (s:Study)-[:HAS_INDICATION]->(n)
RETURN 'indications' AS kind, c.key AS key, c.study_id AS claimant, s.study_id AS owner
