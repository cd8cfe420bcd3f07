// One row per region node of each study: laterality, parent/child/counterpart regions (study edges and ontology PART_OF), boxes per image.
// $study_ids: study ids of the batch
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_REGION]->(r:StudyRegion)
RETURN sid AS study_id,
       r.region AS region,
       r.laterality AS laterality,
       [(r)-[:SUB_REGION_OF]->(p:StudyRegion) | p.region] AS parents,
       [(r)<-[:SUB_REGION_OF]-(c:StudyRegion) | c.region] AS children,
       [(r)-[:LEFT_OF]->(x:StudyRegion) | x.region] + [(r)-[:RIGHT_OF]->(x:StudyRegion) | x.region]
         + [(r)<-[:LEFT_OF]-(x:StudyRegion) | x.region] + [(r)<-[:RIGHT_OF]-(x:StudyRegion) | x.region] AS counterparts,
       [(r)-[:IS_A]->(:Anatomy)-[:PART_OF*1..]->(a:Anatomy) | a.name] AS ontology_ancestors,
       [(r)-[l:LOCALIZED_IN]->(i:Image) | {image_id: i.image_id, bboxes_flat: l.bboxes_flat,
            localization_reference_ids: l.localization_reference_ids,
            instance_mask_ids: l.instance_mask_ids, missing_localization: l.missing_localization,
            is_fallback: l.is_fallback, localization_quality: l.localization_quality}] AS localization
ORDER BY study_id, region
