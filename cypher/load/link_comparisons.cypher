// Links a region to the same region of the previous study with COMPARED_WITH, where the previous study is loaded
// $rows: rows {key, prev_image_id, bbox_name, relationship_id, props}
UNWIND $rows AS row
MATCH (cur:StudyRegion {key: row.key})
MATCH (pi:Image {image_id: row.prev_image_id})
MATCH (pi)<-[:HAS_IMAGE]-(:Study)-[:HAS_REGION]->(prev:StudyRegion {region: row.bbox_name})
MERGE (cur)-[e:COMPARED_WITH {relationship_id: row.relationship_id}]->(prev)
SET e += row.props
