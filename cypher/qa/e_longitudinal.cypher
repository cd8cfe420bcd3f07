// One row per study with a previous study (NEXT_STUDY) and per finding named by top-level observations of either study, or per region compared with the previous study (Chest ImaGenome COMPARED_WITH): observations on both sides and the stated changes.
// $study_ids: study ids of the batch
UNWIND $study_ids AS sid
MATCH (prev:Study)-[:NEXT_STUDY]->(s:Study {study_id: sid})
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(co:Observation)
WHERE co.top_level = true
WITH sid, s, prev, collect(co) AS cur
OPTIONAL MATCH (prev)-[:HAS_OBSERVATION]->(po:Observation)
WHERE po.top_level = true
WITH sid, prev, cur, collect(po) AS prv
WITH sid, prev, cur, prv,
     reduce(acc = [], x IN cur + prv | acc + [e IN coalesce(x.entities, []) WHERE NOT e IN acc]) AS findings
UNWIND findings AS f
WITH sid, prev, f,
     [x IN cur WHERE f IN coalesce(x.entities, [])] AS c,
     [x IN prv WHERE f IN coalesce(x.entities, [])] AS p
RETURN sid AS study_id, 'finding' AS kind, f AS name, prev.study_id AS previous_study_id,
       [x IN c | x.obs_id] AS cur_ids,
       [x IN c WHERE x.positiveness = 'pos' | x.obs_id] AS cur_pos_ids,
       [x IN c WHERE x.positiveness = 'pos' AND x.certainty IN ['certain', 'likely'] | x.obs_id] AS cur_definite_pos_ids,
       [x IN c WHERE NOT coalesce(x.certainty, 'certain') IN ['certain', 'likely'] | x.obs_id] AS cur_uncertain_ids,
       reduce(acc = [], x IN c | acc + coalesce(x.changes, [])) AS cur_changes,
       [x IN p | x.obs_id] AS prev_ids,
       [x IN p WHERE x.positiveness = 'pos' | x.obs_id] AS prev_pos_ids,
       [x IN p WHERE x.positiveness = 'pos' AND x.certainty IN ['certain', 'likely'] | x.obs_id] AS prev_definite_pos_ids,
       [x IN p WHERE NOT coalesce(x.certainty, 'certain') IN ['certain', 'likely'] | x.obs_id] AS prev_uncertain_ids,
       [] AS changes, null AS phrase
UNION ALL
UNWIND $study_ids AS sid
MATCH (prev:Study)-[:NEXT_STUDY]->(s:Study {study_id: sid})-[:HAS_REGION]->(r:StudyRegion)-[cmp:COMPARED_WITH]->(:StudyRegion)
// one row per region: a comparison stated on each of the study's images is one comparison
WITH sid, prev, r, cmp ORDER BY cmp.phrase
WITH sid, prev, r, collect(cmp) AS cmps
RETURN sid AS study_id, 'region' AS kind, r.region AS name, prev.study_id AS previous_study_id,
       [(r)<-[:LOCATED_AT]-(o:Observation) | o.obs_id] AS cur_ids,
       [] AS cur_pos_ids, [] AS cur_definite_pos_ids, [] AS cur_uncertain_ids, [] AS cur_changes,
       [] AS prev_ids, [] AS prev_pos_ids, [] AS prev_definite_pos_ids, [] AS prev_uncertain_ids,
       reduce(acc = [], c IN cmps | acc + [x IN coalesce(c.changes, []) WHERE NOT x IN acc]) AS changes,
       head([c IN cmps WHERE c.phrase IS NOT NULL | c.phrase]) AS phrase
