// Returns, for each of the given image ids held by a study other than $study_id, that study (why a study's write was refused)
// $ids: image ids of the refused study
// $study_id: the refused study
UNWIND $ids AS iid
MATCH (i:Image {image_id: iid})
WITH i
MATCH (s:Study)-[:HAS_IMAGE]->(i)
WHERE s.study_id <> $study_id
RETURN i.image_id AS image_id, s.study_id AS owner
ORDER BY image_id
