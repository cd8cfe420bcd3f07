// One row per study of the batch: patient, properties (quality q_*, grade), frontal/other images, top-level order, previous study.
// $study_ids: study ids of the batch
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
OPTIONAL MATCH (prev:Study)-[:NEXT_STUDY]->(s)
RETURN sid AS study_id,
       s.patient_id AS patient_id,
       s {.patient_id, .top_level_obs_ids, .grade, .num_observations, .split, .study_datetime,
          .metadata_json, .extra_json, .q_region_quality, .q_entity_quality, .q_sentence_name_quality,
          .q_change_quality, .q_issue_level, .q_localization_quality} AS study,
       prev.study_id AS previous_study_id,
       [(s)-[:HAS_IMAGE]->(i:Image) | i {.image_id, .view_position, .patient_orientation, .width, .height,
            .is_frontal, .localization_quality}] AS images,
       [(s)-[:HAS_INDICATION]->(ind:Indication) | ind {.summary, .indication, .evaluation}] AS indications
