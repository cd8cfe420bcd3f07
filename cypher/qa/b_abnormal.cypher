// One row per study and scope (all, subcat, device, device_subcat, acquisition, artifacts): the observations in scope (children included), which are positive, definitely positive or uncertain; and the same over the findings only (abn_*: devices, technique, post-surgical changes and normal statements are not abnormalities).
// $study_ids: study ids of the batch
// $device_categories: finding categories that mark a device (e.g. ["DEVICE", "TUBES_AND_LINES"])
// $acquisition_categories: finding categories of acquisition/technique observations (e.g. ["TECHNICAL_ASSESSMENT"])
// $artifact_entities: findings whose observations (or their sub-findings') are imaging artifacts (e.g. ["artifact"])
// $normal_entities: findings whose positive observations say "normal" (e.g. ["normal", "no finding"])
// $device_subcategories: subcategories of devices asked about one by one (e.g. ["VASCULAR_LINES", "AIRWAY_TUBES"]); devices are not in the finding subcategories
// $skipped_subcategories: subcategories not asked about as a group (e.g. ["GENERAL"])
// $neutral_subcategories: an observation whose subcategories are only these is neither normal nor abnormal (e.g. ["POSTSURGICAL"]: "status post sternotomy")
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
// WITH first: otherwise FalkorDB plans a scan of every Observation per study id
WITH sid, s
// every observation, children too: a finding nested under a device or technique observation
// ("low lung volumes with bibasilar opacities") is still a finding; answers nest children
MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
WITH sid, o,
     o.positiveness = 'pos' AND NOT (size(coalesce(o.entities, [])) > 0
        AND all(e IN o.entities WHERE e IN $normal_entities)) AS pos,
     any(c IN coalesce(o.categories, []) WHERE c IN $device_categories) AS device
WITH sid, o, pos, device,
     [{kind: 'all', value: ''}]
     + CASE WHEN device THEN [] ELSE
         [sc IN coalesce(o.subcategories, []) WHERE NOT sc IN $skipped_subcategories | {kind: 'subcat', value: sc}] END
     + CASE WHEN device THEN [{kind: 'device', value: ''}]
         + [sc IN coalesce(o.subcategories, []) WHERE sc IN $device_subcategories | {kind: 'device_subcat', value: sc}]
       ELSE [] END
     + CASE WHEN any(c IN coalesce(o.categories, []) WHERE c IN $acquisition_categories)
            THEN [{kind: 'acquisition', value: ''}] ELSE [] END
     + CASE WHEN any(e IN coalesce(o.entities, []) + coalesce(o.entities_parents, []) WHERE e IN $artifact_entities)
            THEN [{kind: 'artifacts', value: ''}] ELSE [] END AS scopes
UNWIND scopes AS scope
WITH sid, scope.kind AS kind, scope.value AS value, o, pos,
     device OR any(c IN coalesce(o.categories, []) WHERE c IN $acquisition_categories)
     OR (size(coalesce(o.subcategories, [])) > 0
         AND all(sc IN o.subcategories WHERE sc IN $neutral_subcategories)) AS other
RETURN sid AS study_id, kind, value,
       collect(o.obs_id) AS obs_ids,
       collect(CASE WHEN pos THEN o.obs_id END) AS pos_ids,
       collect(CASE WHEN pos AND o.certainty IN ['certain', 'likely']
                    THEN o.obs_id END) AS definite_pos_ids,
       collect(CASE WHEN NOT coalesce(o.certainty, 'certain') IN ['certain', 'likely']
                    THEN o.obs_id END) AS uncertain_ids,
       collect(CASE WHEN NOT other THEN o.obs_id END) AS abn_ids,
       collect(CASE WHEN NOT other AND pos THEN o.obs_id END) AS abn_pos_ids,
       collect(CASE WHEN NOT other AND pos AND o.certainty IN ['certain', 'likely']
                    THEN o.obs_id END) AS abn_definite_pos_ids,
       collect(CASE WHEN NOT other AND NOT coalesce(o.certainty, 'certain') IN ['certain', 'likely']
                    THEN o.obs_id END) AS abn_uncertain_ids
