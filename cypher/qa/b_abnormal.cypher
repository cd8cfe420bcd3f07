// One row per study and scope (all, subcat, device, acquisition, artifacts): the top-level observations in scope, which are positive, definitely positive or uncertain; and the same over the findings only (abn_*: devices and technique are not abnormalities).
// $study_ids: study ids of the batch
// $device_categories: finding categories that mark a device (e.g. ["DEVICE"])
// $acquisition_categories: finding categories of acquisition/technique observations (e.g. ["TECHNICAL_ASSESSMENT"])
// $artifact_entities: findings whose observations (or their sub-findings') are imaging artifacts (e.g. ["artifact"])
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
// WITH first: otherwise FalkorDB plans a scan of every Observation per study id
WITH sid, s
MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
WHERE o.top_level = true
WITH sid, o,
     [{kind: 'all', value: ''}]
     + [sc IN coalesce(o.subcategories, []) | {kind: 'subcat', value: sc}]
     + CASE WHEN any(c IN coalesce(o.categories, []) WHERE c IN $device_categories)
            THEN [{kind: 'device', value: ''}] ELSE [] END
     + CASE WHEN any(c IN coalesce(o.categories, []) WHERE c IN $acquisition_categories)
            THEN [{kind: 'acquisition', value: ''}] ELSE [] END
     + CASE WHEN any(e IN coalesce(o.entities, []) + coalesce(o.entities_parents, []) WHERE e IN $artifact_entities)
            THEN [{kind: 'artifacts', value: ''}] ELSE [] END AS scopes
UNWIND scopes AS scope
WITH sid, scope.kind AS kind, scope.value AS value, o,
     any(c IN coalesce(o.categories, []) WHERE c IN $device_categories OR c IN $acquisition_categories) AS other
RETURN sid AS study_id, kind, value,
       collect(o.obs_id) AS obs_ids,
       collect(CASE WHEN o.positiveness = 'pos' THEN o.obs_id END) AS pos_ids,
       collect(CASE WHEN o.positiveness = 'pos' AND o.certainty IN ['certain', 'likely']
                    THEN o.obs_id END) AS definite_pos_ids,
       collect(CASE WHEN NOT coalesce(o.certainty, 'certain') IN ['certain', 'likely']
                    THEN o.obs_id END) AS uncertain_ids,
       collect(CASE WHEN NOT other THEN o.obs_id END) AS abn_ids,
       collect(CASE WHEN NOT other AND o.positiveness = 'pos' THEN o.obs_id END) AS abn_pos_ids,
       collect(CASE WHEN NOT other AND o.positiveness = 'pos' AND o.certainty IN ['certain', 'likely']
                    THEN o.obs_id END) AS abn_definite_pos_ids,
       collect(CASE WHEN NOT other AND NOT coalesce(o.certainty, 'certain') IN ['certain', 'likely']
                    THEN o.obs_id END) AS abn_uncertain_ids
