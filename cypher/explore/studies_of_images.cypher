// Returns the studies that hold the given images
// $ids: image ids
UNWIND $ids AS id
MATCH (i:Image {image_id: id})
RETURN DISTINCT i.study_id AS study_id
