// One row per observation of each study (report observations and the indication answer OIND): the properties answers show (text, tags, certainty, extraction quality), its children, and its boxes per image.
// $study_ids: study ids of the batch
// Each column a JSON string (cxrkg.toJson; JSON makes 1429.0 a 1429, so qa_gen.study_data reads bboxes_flat back as floats): 1,000 QBA-shaped studies 2.2 -> 0.9 s, server and reply.
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_OBSERVATION]->(o:Observation)
RETURN sid AS study_id,
       o.obs_id AS obs_id,
       cxrkg.toJson(o {.obs_id, .name, .summary_sentence, .laterality, .regions, .entities, .entities_parents,
            .categories, .subcategories, .certainty, .positiveness, .modifiers, .from_report,
            .q_region_quality, .q_entity_quality, .q_sentence_name_quality, .q_change_quality,
            .q_issue_level, .q_localization_quality}) AS obs_json,
       cxrkg.toJson([(o)-[c:HAS_CHILD]->(child:Observation) | {obs_id: child.obs_id, child_type: c.child_type}]) AS children_json,
       cxrkg.toJson([(o)-[l:LOCALIZED_IN]->(i:Image) | {image_id: i.image_id, bboxes_flat: l.bboxes_flat,
            localization_reference_ids: l.localization_reference_ids,
            instance_mask_ids: l.instance_mask_ids, missing_localization: l.missing_localization,
            is_fallback: l.is_fallback, localization_quality: l.localization_quality}]) AS localization_json
UNION ALL
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_INDICATION]->(:Indication)-[:ANSWERED_BY]->(o:Observation)
RETURN sid AS study_id,
       o.obs_id AS obs_id,
       cxrkg.toJson(o {.obs_id, .name, .summary_sentence, .laterality, .regions, .entities, .entities_parents,
            .categories, .subcategories, .certainty, .positiveness, .modifiers, .from_report,
            .q_region_quality, .q_entity_quality, .q_sentence_name_quality, .q_change_quality,
            .q_issue_level, .q_localization_quality}) AS obs_json,
       cxrkg.toJson([(o)-[c:HAS_CHILD]->(child:Observation) | {obs_id: child.obs_id, child_type: c.child_type}]) AS children_json,
       cxrkg.toJson([(o)-[l:LOCALIZED_IN]->(i:Image) | {image_id: i.image_id, bboxes_flat: l.bboxes_flat,
            localization_reference_ids: l.localization_reference_ids,
            instance_mask_ids: l.instance_mask_ids, missing_localization: l.missing_localization,
            is_fallback: l.is_fallback, localization_quality: l.localization_quality}]) AS localization_json
