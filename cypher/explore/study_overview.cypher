// Returns one study's observations with their sentence, regions, positiveness and number of boxes
// $study_id: the study
MATCH (s:Study {study_id: $study_id})-[:HAS_OBSERVATION]->(o:Observation)
OPTIONAL MATCH (o)-[:FROM_SENTENCE]->(n:Sentence)
OPTIONAL MATCH (o)-[l:LOCALIZED_IN]->(:Image)
RETURN o.obs_id AS obs_id, o.name AS observation, o.positiveness AS positiveness, o.certainty AS certainty,
       coalesce(o.regions, []) AS regions, collect(DISTINCT n.text) AS sentences, sum(size(l.bboxes_flat) / 4) AS boxes
ORDER BY obs_id
