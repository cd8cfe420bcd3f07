// One row per study and asked-about region: observations in the region and its sub-regions (all, positive, definitely positive, uncertain, devices; abn_*: the same over findings only, as devices, technique and normal statements are not abnormalities), in parent regions and in the other side, and the study's device observations.
// $study_ids: study ids of the batch
// $targets: map study id -> region names to ask about (defaults, mentioned, parents, sampled)
// $device_categories: finding categories that mark a device
// $acquisition_categories: categories of acquisition/technique observations
// $neutral_subcategories: an observation whose subcategories are only these is neither normal nor abnormal (e.g. ["POSTSURGICAL"])
// $normal_entities: findings whose positive observations say "normal" (e.g. ["normal", "no finding"])
// $normal_statement_entities: findings whose negative observations say a region is normal (e.g. ["abnormal"]: "the mediastinum is unremarkable")
// $device_subcategories: the finding subcategories of devices
// $device_spans: map device subcategory -> ontology regions a device of it may lie in (a subcategory not named may lie anywhere)
// $normal_statement_gaps: regions (with those inside them) a broader region's normal statement does not call normal (e.g. ["coronary arteries"])
// Each study's regions and observations are read once, then filtered per asked-about region.
// Sub-regions come from the study's SUB_REGION_OF edges and, when the ontology is synced, PART_OF.
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
OPTIONAL MATCH (s)-[:HAS_REGION]->(sr:StudyRegion)
WITH sid, s, collect(sr {.region,
       up: [(sr)-[:SUB_REGION_OF*1..]->(p1:StudyRegion) | p1.region],
       onto: [(sr)-[:IS_A]->(:Anatomy)-[:PART_OF*0..]->(a1:Anatomy) | a1.name],
       side: [(sr)-[:LEFT_OF]->(c1:StudyRegion) | c1.region] + [(sr)<-[:LEFT_OF]-(c2:StudyRegion) | c2.region]
           + [(sr)-[:RIGHT_OF]->(c3:StudyRegion) | c3.region] + [(sr)<-[:RIGHT_OF]-(c4:StudyRegion) | c4.region]}) AS regs
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
WITH sid, regs, collect(o {.obs_id, .certainty, .categories, .subcategories,
       there: o.positiveness = 'pos' OR NOT coalesce(o.certainty, 'certain') IN ['certain', 'likely'],
       neutral: size(coalesce(o.subcategories, [])) > 0
            AND all(sc IN o.subcategories WHERE sc IN $neutral_subcategories),
       pos: o.positiveness = 'pos' AND NOT (size(coalesce(o.entities, [])) > 0
            AND all(e IN o.entities WHERE e IN $normal_entities)),
       stmt: o.positiveness = 'neg' AND o.certainty = 'certain'
            AND any(e IN coalesce(o.entities, []) WHERE e IN $normal_statement_entities),
       located: [(o)-[:LOCATED_AT]->(lr:StudyRegion) | lr.region]}) AS obs
WITH sid, regs, obs,
     [x IN obs WHERE any(c IN coalesce(x.categories, []) WHERE c IN $device_categories) | x.obs_id] AS study_device_ids
UNWIND coalesce($targets[sid], []) AS region_name
// the regions above the asked one: the study's tree, and the ontology's for a region the study does not name
OPTIONAL MATCH (an:Anatomy {name: region_name})
WITH sid, regs, obs, study_device_ids, region_name,
     [r IN regs WHERE r.region = region_name] AS own,
     CASE WHEN an IS NULL THEN [] ELSE [(an)-[:PART_OF*1..]->(pa:Anatomy) | pa.name] END AS onto_above,
     CASE WHEN an IS NULL THEN [] ELSE [(an)<-[:PART_OF*1..]-(pb:Anatomy) | pb.name] END AS onto_below,
     an IS NOT NULL AS known
// the study's devices (present or uncertain) that may lie in the asked region: no "no device there" beside them
WITH sid, regs, obs, study_device_ids, region_name, own, onto_above,
     [x IN obs WHERE x.obs_id IN study_device_ids AND x.there AND (NOT known
        OR NOT any(sc IN coalesce(x.subcategories, []) WHERE sc IN keys($device_spans))
        OR any(sc IN x.subcategories WHERE sc IN $device_subcategories AND NOT sc IN keys($device_spans))
        OR any(sc IN x.subcategories WHERE sc IN keys($device_spans)
               AND any(r IN $device_spans[sc] WHERE r = region_name OR r IN onto_above OR r IN onto_below)))
      | x.obs_id] AS reachable_device_ids
WITH sid, regs, obs, study_device_ids, reachable_device_ids, region_name, size(own) > 0 AS in_study,
     [r IN regs WHERE r.region = region_name OR region_name IN r.up OR region_name IN r.onto | r.region] AS inside,
     reduce(acc = onto_above, r IN own | acc + [u IN r.up WHERE NOT u IN acc]) AS above,
     reduce(acc = [], r IN own | acc + r.side) AS sides
WITH sid, obs, study_device_ids, reachable_device_ids, region_name, in_study, inside, above,
     [r IN regs WHERE r.region IN sides OR any(u IN r.up WHERE u IN sides) | r.region] AS other_side
WITH sid, obs, study_device_ids, reachable_device_ids, region_name, in_study, above, other_side,
     [x IN obs WHERE any(l IN x.located WHERE l IN inside)] AS sub_obs
WITH sid, obs, study_device_ids, reachable_device_ids, region_name, in_study, above, other_side, sub_obs,
     [x IN sub_obs | x.obs_id] AS sub_ids,
     [x IN sub_obs WHERE NOT x.neutral AND NOT any(c IN coalesce(x.categories, [])
        WHERE c IN $device_categories OR c IN $acquisition_categories)] AS abn_obs
RETURN sid AS study_id,
       region_name AS region,
       in_study,
       sub_ids,
       [x IN sub_obs WHERE x.pos | x.obs_id] AS pos_ids,
       [x IN sub_obs WHERE x.pos AND x.certainty IN ['certain', 'likely'] | x.obs_id] AS definite_pos_ids,
       [x IN sub_obs WHERE NOT coalesce(x.certainty, 'certain') IN ['certain', 'likely'] | x.obs_id] AS uncertain_ids,
       [x IN abn_obs | x.obs_id] AS abn_ids,
       [x IN abn_obs WHERE x.pos | x.obs_id] AS abn_pos_ids,
       [x IN abn_obs WHERE x.pos AND x.certainty IN ['certain', 'likely'] | x.obs_id] AS abn_definite_pos_ids,
       [x IN abn_obs WHERE NOT coalesce(x.certainty, 'certain') IN ['certain', 'likely'] | x.obs_id] AS abn_uncertain_ids,
       [x IN sub_obs WHERE any(c IN coalesce(x.categories, []) WHERE c IN $device_categories) | x.obs_id] AS device_ids,
       [x IN sub_obs WHERE x.pos AND x.certainty IN ['certain', 'likely']
            AND any(c IN coalesce(x.categories, []) WHERE c IN $device_categories) | x.obs_id] AS definite_device_ids,
       CASE WHEN size(sub_ids) = 0 THEN [] ELSE
         [x IN obs WHERE NOT x.obs_id IN sub_ids AND any(l IN x.located WHERE l IN above) | x.obs_id] END AS parent_region_ids,
       // normal statements of a broader region ("the lungs are clear" for the left lower lobe): the region is normal too
       CASE WHEN region_name IN $normal_statement_gaps OR any(a IN above WHERE a IN $normal_statement_gaps) THEN [] ELSE
         [x IN obs WHERE NOT x.obs_id IN sub_ids AND x.stmt AND any(l IN x.located WHERE l IN above) | x.obs_id] END AS normal_above_ids,
       // findings in a broader region that may lie in this one ("opacity in the lungs" for the left lung): no "not abnormal" then
       [x IN obs WHERE NOT x.obs_id IN sub_ids AND any(l IN x.located WHERE l IN above)
            AND NOT x.neutral AND NOT any(c IN coalesce(x.categories, []) WHERE c IN $device_categories OR c IN $acquisition_categories)
            AND (x.pos OR NOT coalesce(x.certainty, 'certain') IN ['certain', 'likely']) | x.obs_id] AS open_above_ids,
       CASE WHEN size(sub_ids) = 0 THEN [] ELSE
         [x IN obs WHERE NOT x.obs_id IN sub_ids AND any(l IN x.located WHERE l IN other_side) | x.obs_id] END AS other_side_ids,
       study_device_ids,
       reachable_device_ids
