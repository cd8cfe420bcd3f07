// Writes a batch of studies whole: clears the subgraphs of the replaced studies, then creates every node and edge of the batch in one statement, so a batch is written entirely or not at all; the loader checks every key it creates first, because FalkorDB rolls a failed statement's deletes back wrongly
// $replaced: rows {study_id, patient_id} of stored studies whose old subgraph is replaced (patient_id: the new one; a study moved to another patient leaves the old one)
// $studies: rows {patient_id, study_id, props}
// $images: rows {study_id, image_id, props}
// $sentences: rows {study_id, props}
// $observations: rows {study_id, props} (report observations)
// $indications: rows {study_id, props, answer} (answer: the OIND observation's props or null)
// $regions: rows {study_id, props}
// $children: rows {parent, child, props} (observation keys; props: child_type, order, extra_json)
// $obs_sent: rows {obs, sent, props} (keys)
// $located_at: rows {obs, region, props}
// $sub_region_of: rows {from, to, props} (region keys)
// $left_of: rows {from, to, props}
// $right_of: rows {from, to, props}
// $other_region_rels: rows {from, to, props} (props.relation_type)
// $obs_loc: rows {key, image_id, props}
// $region_loc: rows {key, image_id, props}
// $ind_sent: rows {study_id, sent}
// $ind_obs: rows {study_id, obs}
// $entity_links: rows {key, name}
// $anatomy_links: rows {key, name}
UNWIND $replaced AS old_row
MATCH (old:Study {study_id: old_row.study_id})
MATCH (old)-[:HAS_INDICATION]->(:Indication)-[:ANSWERED_BY]->(x)
DETACH DELETE x
WITH count(*) AS _
UNWIND $replaced AS old_row
MATCH (old:Study {study_id: old_row.study_id})
MATCH (old)-[:HAS_QUESTION]->(:Question)-[*1..8]->(x:Answer)
DETACH DELETE x
WITH count(*) AS _
UNWIND $replaced AS old_row
MATCH (old:Study {study_id: old_row.study_id})
MATCH (old)-[r]->(x)
WHERE type(r) IN ['HAS_OBSERVATION', 'HAS_SENTENCE', 'HAS_REGION', 'HAS_IMAGE', 'HAS_INDICATION', 'HAS_QUESTION']
DETACH DELETE x
WITH count(*) AS _
UNWIND $replaced AS old_row
MATCH (old:Study {study_id: old_row.study_id})
WITH old_row, old
MATCH (gone:Patient)-[h:HAS_STUDY]->(old)
WHERE gone.patient_id <> old_row.patient_id
SET gone.link_pending = true
DELETE h
WITH count(*) AS _
UNWIND $studies AS row
MERGE (p:Patient {patient_id: row.patient_id})
SET p.link_pending = true
MERGE (s:Study {study_id: row.study_id})
SET s = row.props
MERGE (p)-[:HAS_STUDY]->(s)
WITH count(*) AS _
UNWIND $images AS row
MATCH (s:Study {study_id: row.study_id})
CREATE (s)-[:HAS_IMAGE]->(i:Image)
SET i = row.props
WITH count(*) AS _
UNWIND $sentences AS row
MATCH (s:Study {study_id: row.study_id})
CREATE (s)-[:HAS_SENTENCE]->(n:Sentence)
SET n = row.props
WITH count(*) AS _
UNWIND $observations AS row
MATCH (s:Study {study_id: row.study_id})
CREATE (s)-[:HAS_OBSERVATION]->(o:Observation)
SET o = row.props
WITH count(*) AS _
UNWIND $regions AS row
MATCH (s:Study {study_id: row.study_id})
CREATE (s)-[:HAS_REGION]->(r:StudyRegion)
SET r = row.props
WITH count(*) AS _
UNWIND $indications AS row
MATCH (s:Study {study_id: row.study_id})
CREATE (s)-[:HAS_INDICATION]->(i:Indication)
SET i = row.props
// The test is projected first: FalkorDB pushes a filter on `row` alone in front of the
// CREATE above, and an indication without an answer was then never written.
WITH i, row, row.answer IS NOT NULL AS has_answer
WHERE has_answer
CREATE (i)-[:ANSWERED_BY]->(o:Observation)
SET o = row.answer
WITH count(*) AS _
UNWIND $children AS row
MATCH (a:Observation {key: row.parent})
MATCH (b:Observation {key: row.child})
CREATE (a)-[e:HAS_CHILD]->(b)
SET e = row.props
WITH count(*) AS _
UNWIND $obs_sent AS row
MATCH (o:Observation {key: row.obs})
MATCH (n:Sentence {key: row.sent})
CREATE (o)-[e:FROM_SENTENCE]->(n)
SET e = row.props
WITH count(*) AS _
UNWIND $located_at AS row
MATCH (o:Observation {key: row.obs})
MATCH (r:StudyRegion {key: row.region})
CREATE (o)-[e:LOCATED_AT]->(r)
SET e = row.props
WITH count(*) AS _
UNWIND $sub_region_of AS row
MATCH (a:StudyRegion {key: row.from})
MATCH (b:StudyRegion {key: row.to})
CREATE (a)-[e:SUB_REGION_OF]->(b)
SET e = row.props
WITH count(*) AS _
UNWIND $left_of AS row
MATCH (a:StudyRegion {key: row.from})
MATCH (b:StudyRegion {key: row.to})
CREATE (a)-[e:LEFT_OF]->(b)
SET e = row.props
WITH count(*) AS _
UNWIND $right_of AS row
MATCH (a:StudyRegion {key: row.from})
MATCH (b:StudyRegion {key: row.to})
CREATE (a)-[e:RIGHT_OF]->(b)
SET e = row.props
WITH count(*) AS _
UNWIND $other_region_rels AS row
MATCH (a:StudyRegion {key: row.from})
MATCH (b:StudyRegion {key: row.to})
CREATE (a)-[e:REGION_RELATION]->(b)
SET e = row.props
WITH count(*) AS _
UNWIND $obs_loc AS row
MATCH (o:Observation {key: row.key})
MATCH (i:Image {image_id: row.image_id})
CREATE (o)-[e:LOCALIZED_IN]->(i)
SET e = row.props
WITH count(*) AS _
UNWIND $region_loc AS row
MATCH (r:StudyRegion {key: row.key})
MATCH (i:Image {image_id: row.image_id})
CREATE (r)-[e:LOCALIZED_IN]->(i)
SET e = row.props
WITH count(*) AS _
UNWIND $ind_sent AS row
MATCH (s:Study {study_id: row.study_id})
MATCH (s)-[:HAS_INDICATION]->(i:Indication)
MATCH (n:Sentence {key: row.sent})
CREATE (i)-[:ASSOCIATED_SENTENCE]->(n)
WITH count(*) AS _
UNWIND $ind_obs AS row
MATCH (s:Study {study_id: row.study_id})
MATCH (s)-[:HAS_INDICATION]->(i:Indication)
MATCH (o:Observation {key: row.obs})
CREATE (i)-[:ASSOCIATED_OBSERVATION]->(o)
WITH count(*) AS _
UNWIND $entity_links AS row
MATCH (o:Observation {key: row.key})
MATCH (f:Finding {name: row.name})
CREATE (o)-[:HAS_ENTITY]->(f)
WITH count(*) AS _
UNWIND $anatomy_links AS row
MATCH (r:StudyRegion {key: row.key})
MATCH (a:Anatomy {name: row.name})
CREATE (r)-[:IS_A]->(a)
