// Returns every node a study owns (the study, its images, sentences, observations, regions, indication and the indication's answer) with its properties and outgoing edges, and the study's patients, to compare the stored study with its source
// $study_ids: studies to read
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
WITH sid, s
OPTIONAL MATCH (s)-[r]->(x)
WHERE type(r) IN ['HAS_IMAGE', 'HAS_SENTENCE', 'HAS_OBSERVATION', 'HAS_REGION', 'HAS_INDICATION']
WITH sid, s, collect(x) AS parts
OPTIONAL MATCH (s)-[:HAS_INDICATION]->(:Indication)-[:ANSWERED_BY]->(a)
WITH sid, s, parts, collect(a) AS answers
WITH sid, parts + answers + [s] AS owned, [(p:Patient)-[:HAS_STUDY]->(s) | p.patient_id] AS patients
UNWIND owned AS n
OPTIONAL MATCH (n)-[e]->(m)
WHERE NOT type(e) IN ['HAS_ENTITY', 'IS_A', 'NEXT_STUDY', 'COMPARED_WITH', 'HAS_QUESTION']
WITH sid, patients, n, collect(CASE WHEN e IS NULL THEN NULL ELSE {type: type(e), props: properties(e), label: labels(m)[0], key: coalesce(m.key, m.image_id, m.study_id, m.patient_id, m.name)} END) AS out
RETURN sid AS study_id, patients, labels(n)[0] AS label, properties(n) AS props, out
