// One row per study and asked-about finding: observations naming it or a sub-finding (entities, entities_parents, ontology SUBCLASS_OF), positive/definite/uncertain ones, ancestor findings that are only ever certainly negated (then the finding is absent too), and related observations (same region, parent findings).
// $study_ids: study ids of the batch
// $targets: map study id -> finding names to ask about (defaults, mentioned, parents, sampled)
// $device_categories: finding categories that mark a device
// $acquisition_categories: categories of acquisition/technique observations (asked by B14, not as findings)
// $artifact_entities: findings that are imaging artifacts (asked as findings even when technical)
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
UNWIND coalesce($targets[sid], []) AS finding
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
WHERE finding IN coalesce(o.entities, []) OR finding IN coalesce(o.entities_parents, [])
WITH s, sid, finding, collect(o) AS named
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(d:Observation)-[:HAS_ENTITY]->(:Finding)-[:SUBCLASS_OF*1..]->(:Finding {name: finding})
WITH s, sid, finding, named, [x IN named | x.obs_id] AS named_ids, collect(DISTINCT d) AS onto_desc
WITH s, sid, finding, named + [x IN onto_desc WHERE NOT x.obs_id IN named_ids] AS matched
WITH s, sid, finding, matched, [x IN matched | x.obs_id] AS matched_ids
OPTIONAL MATCH (:Finding {name: finding})-[:SUBCLASS_OF*1..]->(anc:Finding)<-[:HAS_ENTITY]-(a:Observation)<-[:HAS_OBSERVATION]-(s)
WITH s, sid, finding, matched, matched_ids,
     collect(DISTINCT anc.name) AS onto_ancestors, collect(DISTINCT a) AS anc_obs
OPTIONAL MATCH (fnode:Finding {name: finding})
WITH s, sid, finding, matched, matched_ids, onto_ancestors, anc_obs,
     coalesce(fnode.is_device, false) AS finding_is_device,
     reduce(acc = [], x IN matched | acc + [p IN coalesce(x.entities_parents, []) WHERE NOT p IN acc AND p <> finding]) AS named_parents
UNWIND (CASE WHEN size(matched) = 0 THEN [null] ELSE matched END) AS m
OPTIONAL MATCH (m)-[:LOCATED_AT]->(:StudyRegion)<-[:LOCATED_AT]-(rel:Observation)
WHERE NOT rel.obs_id IN matched_ids AND rel.positiveness = 'pos'
  AND coalesce(rel.is_indication_answer, false) = false
WITH s, sid, finding, matched, matched_ids, onto_ancestors, anc_obs, finding_is_device, named_parents,
     collect(DISTINCT rel.obs_id) AS same_region_ids
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(po:Observation)
WHERE NOT po.obs_id IN matched_ids
  AND any(e IN coalesce(po.entities, []) WHERE e IN named_parents OR e IN onto_ancestors)
WITH sid, finding, matched, matched_ids, anc_obs, finding_is_device, same_region_ids,
     collect(po.obs_id) AS parent_finding_ids
RETURN sid AS study_id,
       finding,
       matched_ids AS obs_ids,
       [x IN matched WHERE finding IN coalesce(x.entities, []) | x.obs_id] AS direct_ids,
       [x IN matched WHERE x.positiveness = 'pos' | x.obs_id] AS pos_ids,
       [x IN matched WHERE x.positiveness = 'pos' AND x.certainty IN ['certain', 'likely'] | x.obs_id] AS definite_pos_ids,
       [x IN matched WHERE NOT coalesce(x.certainty, 'certain') IN ['certain', 'likely'] | x.obs_id] AS uncertain_ids,
       CASE WHEN any(x IN anc_obs WHERE x.positiveness <> 'neg' OR coalesce(x.certainty, '') <> 'certain')
            THEN [] ELSE [x IN anc_obs | x.obs_id] END AS negated_ancestor_ids,
       finding_is_device
         OR any(x IN matched WHERE finding IN coalesce(x.entities, [])
                AND any(c IN coalesce(x.categories, []) WHERE c IN $device_categories)) AS is_device,
       size(matched) > 0 AND all(x IN matched WHERE
            any(c IN coalesce(x.categories, []) WHERE c IN $acquisition_categories)
            AND NOT any(e IN coalesce(x.entities, []) + coalesce(x.entities_parents, []) WHERE e IN $artifact_entities)) AS is_acquisition,
       [x IN same_region_ids WHERE NOT x IN parent_finding_ids] AS same_region_ids,
       parent_finding_ids
