// Returns the content hash of each already loaded study among $study_ids (to skip unchanged ones)
// $study_ids: study ids of the batch
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
RETURN s.study_id AS study_id, s.content_hash AS content_hash
