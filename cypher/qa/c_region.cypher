// One row per study and asked-about region: observations in the region and its sub-regions (all, positive, definitely positive, uncertain, devices), in parent regions and in the other side, and the study's device observations.
// $study_ids: study ids of the batch
// $targets: map study id -> region names to ask about (defaults, mentioned, parents, sampled)
// $device_categories: finding categories that mark a device
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(dev:Observation)
WHERE any(c IN coalesce(dev.categories, []) WHERE c IN $device_categories)
WITH s, sid, collect(dev.obs_id) AS study_device_ids
UNWIND coalesce($targets[sid], []) AS region_name
OPTIONAL MATCH (s)-[:HAS_REGION]->(r:StudyRegion {region: region_name})
OPTIONAL MATCH (r)<-[:SUB_REGION_OF*0..]-(:StudyRegion)<-[:LOCATED_AT]-(o:Observation)
WHERE coalesce(o.is_indication_answer, false) = false
WITH s, sid, study_device_ids, region_name, r, collect(DISTINCT o) AS tree_obs
OPTIONAL MATCH (s)-[:HAS_REGION]->(sr:StudyRegion)-[:IS_A]->(:Anatomy)-[:PART_OF*0..]->(:Anatomy {name: region_name}),
               (o2:Observation)-[:LOCATED_AT]->(sr)
WHERE coalesce(o2.is_indication_answer, false) = false
WITH s, sid, study_device_ids, region_name, r, tree_obs, [x IN tree_obs | x.obs_id] AS tree_ids,
     collect(DISTINCT o2) AS onto_obs
WITH s, sid, study_device_ids, region_name, r,
     tree_obs + [x IN onto_obs WHERE NOT x.obs_id IN tree_ids] AS sub_obs
OPTIONAL MATCH (r)-[:SUB_REGION_OF*1..]->(:StudyRegion)<-[:LOCATED_AT]-(a:Observation)
WHERE coalesce(a.is_indication_answer, false) = false
WITH s, sid, study_device_ids, region_name, r, sub_obs, collect(DISTINCT a) AS anc_obs
OPTIONAL MATCH (r)-[side]-(:StudyRegion)<-[:SUB_REGION_OF*0..]-(:StudyRegion)<-[:LOCATED_AT]-(c:Observation)
WHERE type(side) IN ['LEFT_OF', 'RIGHT_OF'] AND coalesce(c.is_indication_answer, false) = false
WITH sid, study_device_ids, region_name, r, sub_obs, anc_obs, collect(DISTINCT c) AS side_obs
WITH sid, study_device_ids, region_name, r, sub_obs,
     [x IN sub_obs | x.obs_id] AS sub_ids, anc_obs, side_obs
RETURN sid AS study_id,
       region_name AS region,
       r IS NOT NULL AS in_study,
       sub_ids,
       [x IN sub_obs WHERE x.positiveness = 'pos' | x.obs_id] AS pos_ids,
       [x IN sub_obs WHERE x.positiveness = 'pos' AND x.certainty IN ['certain', 'likely'] | x.obs_id] AS definite_pos_ids,
       [x IN sub_obs WHERE NOT coalesce(x.certainty, 'certain') IN ['certain', 'likely'] | x.obs_id] AS uncertain_ids,
       [x IN sub_obs WHERE any(c IN coalesce(x.categories, []) WHERE c IN $device_categories) | x.obs_id] AS device_ids,
       [x IN sub_obs WHERE x.positiveness = 'pos' AND x.certainty IN ['certain', 'likely']
            AND any(c IN coalesce(x.categories, []) WHERE c IN $device_categories) | x.obs_id] AS definite_device_ids,
       [x IN anc_obs WHERE NOT x.obs_id IN sub_ids | x.obs_id] AS parent_region_ids,
       [x IN side_obs WHERE NOT x.obs_id IN sub_ids | x.obs_id] AS other_side_ids,
       study_device_ids
