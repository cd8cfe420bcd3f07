// Returns the observations located in a study region of the given name, with their study and positiveness
// $region: region name, e.g. 'left lung'
// $limit: maximum rows
MATCH (s:Study)-[:HAS_REGION]->(r:StudyRegion {region: $region})<-[:LOCATED_AT]-(o:Observation)
RETURN s.study_id AS study_id, o.obs_id AS obs_id, o.name AS observation, o.positiveness AS positiveness
ORDER BY study_id, obs_id
LIMIT $limit
