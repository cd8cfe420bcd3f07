// One row per study with, per asked-about finding (`findings`): observations naming it or a sub-finding (entities, entities_parents, ontology SUBCLASS_OF), positive/definite/uncertain ones, the regions and severities of the definite ones, ancestor findings that are only ever certainly negated (then the finding is absent too), and related observations (same region, parent findings).
// $study_ids: study ids of the batch
// $targets: map study id -> finding names to ask about (defaults, mentioned, parents, sampled)
// $device_categories: finding categories that mark a device
// $acquisition_categories: categories of acquisition/technique observations (asked by B14, not as findings)
// $artifact_entities: findings that are imaging artifacts (asked as findings even when technical)
// $normal_entities: findings whose positive observations say "normal" (e.g. ["normal", "no finding"]): never present findings
// $ontology: map finding name -> {is_device, ancestors}: the ontology's findings above it (qa/finding_ontology; a finding it does not know is absent)
// $infer_absent: true to answer "no" for a never-mentioned finding whose broader findings (ontology) are all certainly negated; off by default, as the seed answers "no" only from (default) negative observations
// Each study's observations are read once (with the ontology findings they link to and those
// findings' ancestors), then filtered per asked-about finding.
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
// report order by obs_id, so regions and severities read in a fixed order
WITH sid, o ORDER BY sid, o.obs_id
WITH sid, collect(o {.obs_id, .certainty, .categories, .regions, .modifiers,
       // the regions the report states (not the finding's default region), in the observation's order
       stated: [r IN coalesce(o.regions, []) WHERE r IN [(o)-[l:LOCATED_AT]->(lr:StudyRegion)
            WHERE coalesce(l.where_specified, 'direct') <> 'default' | lr.region]],
       pos: o.positiveness = 'pos' AND NOT (size(coalesce(o.entities, [])) > 0
            AND all(e IN o.entities WHERE e IN $normal_entities)),
       neg: o.positiveness = 'neg',
       entities: coalesce(o.entities, []), parents: coalesce(o.entities_parents, []),
       linked: [(o)-[:HAS_ENTITY]->(lf:Finding) | lf.name],
       onto_up: [(o)-[:HAS_ENTITY]->(:Finding)-[:SUBCLASS_OF*1..]->(uf:Finding) | uf.name]}) AS obs
// the rows per asked-about finding scan every observation: they carry small lists
// ([id, entities, entities and linked findings, regions, pos, neg, certainty]), as a row's
// values are copied at every WITH; the maps only of the observations that match
WITH sid, obs, [x IN obs | [x.obs_id, x.entities, x.entities + x.linked, coalesce(x.regions, []),
                            x.pos, x.neg, x.certainty]] AS slim
UNWIND coalesce($targets[sid], []) AS finding
WITH sid, slim, finding, coalesce($ontology[finding].is_device, false) AS finding_is_device,
     coalesce($ontology[finding].ancestors, []) AS onto_ancestors,
     [x IN obs WHERE finding IN x.entities OR finding IN x.parents OR finding IN x.onto_up] AS matched
WITH sid, slim, finding, finding_is_device, onto_ancestors, matched,
     [x IN matched | x.obs_id] AS matched_ids,
     [x IN matched WHERE finding IN x.entities] AS direct,
     reduce(acc = [], x IN matched | acc + [p IN x.parents WHERE NOT p IN acc AND p <> finding]) AS named_parents,
     reduce(acc = [], x IN matched | acc + [r IN coalesce(x.regions, []) WHERE NOT r IN acc]) AS matched_regions,
     [x IN slim WHERE any(e IN x[2] WHERE e IN onto_ancestors)] AS anc_obs
WITH sid, finding, finding_is_device, matched, matched_ids, direct, anc_obs,
     [x IN slim WHERE NOT x[0] IN matched_ids
        AND any(e IN x[1] WHERE e IN named_parents OR e IN onto_ancestors) | x[0]] AS parent_finding_ids,
     [x IN slim WHERE NOT x[0] IN matched_ids AND x[4]
        AND any(r IN x[3] WHERE r IN matched_regions) | x[0]] AS same_region
// one row per study, its rows per asked-about finding as one JSON string (cxrkg.toJson:
// 1,000 QBA-shaped studies 4.2 -> 2.7 s, server and reading the reply)
WITH sid, {
       finding: finding,
       obs_ids: matched_ids,
       direct_ids: [x IN direct | x.obs_id],
       pos_ids: [x IN matched WHERE x.pos | x.obs_id],
       definite_pos_ids: [x IN matched WHERE x.pos AND x.certainty IN ['certain', 'likely'] | x.obs_id],
       definite_regions: reduce(acc = [], x IN [y IN matched WHERE y.pos AND y.certainty IN ['certain', 'likely']] |
            acc + [r IN coalesce(x.regions, []) WHERE NOT r IN acc]),
       definite_stated_regions: reduce(acc = [], x IN [y IN matched WHERE y.pos AND y.certainty IN ['certain', 'likely']] |
            acc + [r IN x.stated WHERE NOT r IN acc]),
       severities: reduce(acc = [], x IN [y IN matched WHERE y.pos AND y.certainty IN ['certain', 'likely']] |
            acc + [m IN coalesce(x.modifiers, []) WHERE m STARTS WITH 'severity:' AND NOT substring(m, 9) IN acc
                   | substring(m, 9)]),
       uncertain_ids: [x IN matched WHERE NOT coalesce(x.certainty, 'certain') IN ['certain', 'likely'] | x.obs_id],
       negated_ancestor_ids: CASE WHEN NOT $infer_absent OR size(anc_obs) = 0
                                   OR any(x IN anc_obs WHERE NOT x[5] OR coalesce(x[6], '') <> 'certain')
                              THEN [] ELSE [x IN anc_obs | x[0]] END,
       is_device: finding_is_device
            OR any(x IN direct WHERE any(c IN coalesce(x.categories, []) WHERE c IN $device_categories)),
       is_acquisition: size(matched) > 0 AND all(x IN matched WHERE
            any(c IN coalesce(x.categories, []) WHERE c IN $acquisition_categories)
            AND NOT any(e IN x.entities + x.parents WHERE e IN $artifact_entities)),
       same_region_ids: [x IN same_region WHERE NOT x IN parent_finding_ids],
       parent_finding_ids: parent_finding_ids} AS row
RETURN sid AS study_id, cxrkg.toJson(collect(row)) AS findings_json
