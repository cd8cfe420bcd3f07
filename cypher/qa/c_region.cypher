// One row per study: how each of its observations counts (positive, definite, uncertain, a finding, a device, a normal statement) and, per asked-about region, which observations lie in it, in the regions above it, on its other side, and which of the study's devices may reach it.
// $study_ids: study ids of the batch
// $targets: map study id -> region names to ask about (defaults, mentioned, parents, sampled)
// $device_categories: finding categories that mark a device
// $acquisition_categories: categories of acquisition/technique observations
// $neutral_subcategories: an observation whose subcategories are only these is neither normal nor abnormal (e.g. ["POSTSURGICAL"])
// $normal_entities: findings whose positive observations say "normal" (e.g. ["normal", "no finding"])
// $normal_statement_entities: findings whose negative observations say a region is normal (e.g. ["abnormal"]: "the mediastinum is unremarkable")
// $device_subcategories: the finding subcategories of devices
// $device_spans: map device subcategory -> ontology regions a device of it may lie in (a subcategory not named may lie anywhere)
// $ontology: map region name -> {above, below}: the ontology's regions above and below it, for every asked-about region (qa/region_ontology; a region it does not know is absent)
// $normal_statement_gaps: regions (with those inside them) a broader region's normal statement does not call normal (e.g. ["coronary arteries"])
// Each observation is classified once, with where it lies: the study regions it is located
// at, those above them in the study's tree (SUB_REGION_OF) and the ontology regions they
// are (IS_A). Per asked-about region only membership is tested: an observation lies in it
// by the tree, or by the ontology when its region is the asked one or one below it
// ($ontology's `below`, read once per batch, rather than each region's ancestors per study).
// Only the asked-about regions of the study are read with their tree and other side, and
// nothing large rides along the rows per observation or per asked-about region: they carry
// small lists ([id, located, tree, ontology regions] per observation), not the
// observations' maps, as FalkorDB copies a row's values at every WITH (1,000 QBA-shaped
// studies: 11.3 s -> 6.3 s -> 4.8 s of server time).
// regions: [region, in the study, normal statements above count, ids inside, ids located
// above (not inside), ids on the other side (when any inside), devices that may reach it]
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
// the study's asked-about regions, each with those above it in its tree and its other side
OPTIONAL MATCH (s)-[:HAS_REGION]->(sr:StudyRegion)
WHERE sr.region IN coalesce($targets[sid], [])
OPTIONAL MATCH (sr)-[:SUB_REGION_OF*1..]->(p1:StudyRegion)
WITH sid, s, sr, collect(p1.region) AS up
OPTIONAL MATCH (sr)-[:LEFT_OF|RIGHT_OF]-(c1:StudyRegion)
WITH sid, s, sr, up, collect(c1.region) AS side
WITH sid, s, collect(CASE WHEN sr IS NULL THEN null ELSE [sr.region, up, side] END) AS asked
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
WITH sid, asked, o, [(o)-[:LOCATED_AT]->(lr:StudyRegion) | lr.region] AS located,
     [(o)-[:LOCATED_AT]->(:StudyRegion)-[:SUB_REGION_OF*1..]->(lp:StudyRegion) | lp.region] AS located_up,
     [(o)-[:LOCATED_AT]->(:StudyRegion)-[:IS_A]->(la:Anatomy) | la.name] AS anatomy
// located: the study regions it is at; tree: those and the regions above them; onto: the ontology regions they are
WITH sid, asked, collect(CASE WHEN o IS NULL THEN null ELSE o {.obs_id, .subcategories,
       there: o.positiveness = 'pos' OR NOT coalesce(o.certainty, 'certain') IN ['certain', 'likely'],
       uncertain: NOT coalesce(o.certainty, 'certain') IN ['certain', 'likely'],
       definite: coalesce(o.certainty IN ['certain', 'likely'], false),
       pos: o.positiveness = 'pos' AND NOT (size(coalesce(o.entities, [])) > 0
            AND all(e IN o.entities WHERE e IN $normal_entities)),
       device: any(c IN coalesce(o.categories, []) WHERE c IN $device_categories),
       finding: NOT (size(coalesce(o.subcategories, [])) > 0
                     AND all(sc IN o.subcategories WHERE sc IN $neutral_subcategories))
            AND NOT any(c IN coalesce(o.categories, []) WHERE c IN $device_categories OR c IN $acquisition_categories),
       stmt: o.positiveness = 'neg' AND o.certainty = 'certain'
            AND any(e IN coalesce(o.entities, []) WHERE e IN $normal_statement_entities),
       located: located, tree: located + located_up, onto: anatomy} END) AS obs
// what the rows per asked-about region need, small: copied into each of them
WITH sid, [[x IN obs WHERE x.pos | x.obs_id], [x IN obs WHERE x.definite | x.obs_id],
           [x IN obs WHERE x.uncertain | x.obs_id], [x IN obs WHERE x.finding | x.obs_id],
           [x IN obs WHERE x.stmt | x.obs_id], [x IN obs WHERE x.device | x.obs_id]] AS classes,
     [x IN obs | [x.obs_id, x.located, x.tree, x.onto]] AS places,
     [x IN obs WHERE x.device AND x.there | [x.obs_id, coalesce(x.subcategories, [])]] AS devices,
     asked
UNWIND coalesce($targets[sid], []) AS region_name
// the regions above the asked one: the study's tree, and the ontology's for a region the study does not name
WITH sid, classes, places, devices, region_name,
     [r IN asked WHERE r[0] = region_name] AS own,
     $ontology[region_name] AS anatomy
WITH sid, classes, places, devices, region_name, size(own) > 0 AS in_study, anatomy IS NOT NULL AS known,
     coalesce(anatomy.above, []) AS onto_above, coalesce(anatomy.below, []) AS onto_below,
     reduce(acc = coalesce(anatomy.above, []), r IN own | acc + [u IN r[1] WHERE NOT u IN acc]) AS above,
     reduce(acc = [], r IN own | acc + r[2]) AS sides,
     [x IN places WHERE region_name IN x[2]
        OR any(a IN x[3] WHERE a = region_name OR a IN coalesce(anatomy.below, [])) | x[0]] AS sub_ids
WITH sid, classes, region_name, in_study, sub_ids,
     NOT (region_name IN $normal_statement_gaps OR any(a IN above WHERE a IN $normal_statement_gaps)) AS above_normal,
     [x IN places WHERE NOT x[0] IN sub_ids AND any(l IN x[1] WHERE l IN above) | x[0]] AS above_ids,
     CASE WHEN size(sub_ids) = 0 OR size(sides) = 0 THEN [] ELSE
       [x IN places WHERE NOT x[0] IN sub_ids AND any(t IN x[2] WHERE t IN sides) | x[0]] END AS side_ids,
     // the study's devices (present or uncertain) that may lie in the asked region: no "no device there" beside them
     [x IN devices WHERE NOT known
        OR NOT any(sc IN x[1] WHERE sc IN keys($device_spans))
        OR any(sc IN x[1] WHERE sc IN $device_subcategories AND NOT sc IN keys($device_spans))
        OR any(sc IN x[1] WHERE sc IN keys($device_spans)
               AND any(r IN $device_spans[sc] WHERE r = region_name OR r IN onto_above OR r IN onto_below))
      | x[0]] AS reach_ids
WITH sid, classes,
     collect([region_name, in_study, above_normal, sub_ids, above_ids, side_ids, reach_ids]) AS regions
// the rows per region as one JSON string (cxrkg.toJson): 1,000 QBA-shaped studies 5.9 -> 4.9 s with reading the reply
RETURN sid AS study_id,
       classes[0] AS pos_ids,
       classes[1] AS definite_ids,
       classes[2] AS uncertain_ids,
       classes[3] AS finding_ids,
       classes[4] AS statement_ids,
       classes[5] AS study_device_ids,
       cxrkg.toJson(regions) AS regions_json
