// One row per observation of each study (report observations and the indication answer OIND): its properties, children, sentences, regions and boxes per image.
// $study_ids: study ids of the batch
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_OBSERVATION]->(o:Observation)
RETURN sid AS study_id,
       o.obs_id AS obs_id,
       properties(o) AS obs,
       [(o)-[c:HAS_CHILD]->(child:Observation) | {obs_id: child.obs_id, child_type: c.child_type}] AS children,
       [(o)-[:FROM_SENTENCE]->(sent:Sentence) | {sent_id: sent.sent_id, text: sent.text, section: sent.section}] AS sentences,
       [(o)-[la:LOCATED_AT]->(r:StudyRegion) | {region: r.region, where_specified: la.where_specified}] AS located_at,
       [(o)-[l:LOCALIZED_IN]->(i:Image) | {image_id: i.image_id, bboxes_flat: l.bboxes_flat,
            localization_reference_ids: l.localization_reference_ids,
            instance_mask_ids: l.instance_mask_ids, missing_localization: l.missing_localization,
            is_fallback: l.is_fallback, localization_quality: l.localization_quality}] AS localization
UNION ALL
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_INDICATION]->(:Indication)-[:ANSWERED_BY]->(o:Observation)
RETURN sid AS study_id,
       o.obs_id AS obs_id,
       properties(o) AS obs,
       [(o)-[c:HAS_CHILD]->(child:Observation) | {obs_id: child.obs_id, child_type: c.child_type}] AS children,
       [(o)-[:FROM_SENTENCE]->(sent:Sentence) | {sent_id: sent.sent_id, text: sent.text, section: sent.section}] AS sentences,
       [(o)-[la:LOCATED_AT]->(r:StudyRegion) | {region: r.region, where_specified: la.where_specified}] AS located_at,
       [(o)-[l:LOCALIZED_IN]->(i:Image) | {image_id: i.image_id, bboxes_flat: l.bboxes_flat,
            localization_reference_ids: l.localization_reference_ids,
            instance_mask_ids: l.instance_mask_ids, missing_localization: l.missing_localization,
            is_fallback: l.is_fallback, localization_quality: l.localization_quality}] AS localization
