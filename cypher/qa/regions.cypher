// One row per study: its region nodes (`regions`), each with its laterality and boxes per image (what template answers about the region show).
// $study_ids: study ids of the batch
// Boxes by OPTIONAL MATCH and collect rather than a pattern comprehension per region: 1,000 QBA-shaped studies 4.2 -> 2.7 s (server and reply);
// the regions as one JSON string per study (cxrkg.toJson; JSON makes 1429.0 a 1429, so qa_gen.study_data reads bboxes_flat back as floats): 2.6 -> 0.6 s.
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_REGION]->(r:StudyRegion)
OPTIONAL MATCH (r)-[l:LOCALIZED_IN]->(i:Image)
WITH sid, r, collect(CASE WHEN l IS NULL THEN null ELSE {image_id: i.image_id, bboxes_flat: l.bboxes_flat,
            localization_reference_ids: l.localization_reference_ids,
            instance_mask_ids: l.instance_mask_ids, missing_localization: l.missing_localization,
            is_fallback: l.is_fallback, localization_quality: l.localization_quality} END) AS localization
WITH sid, collect({region: r.region, laterality: r.laterality, localization: localization}) AS regions
RETURN sid AS study_id, cxrkg.toJson(regions) AS regions_json
