// Returns the regions where positive observations are most often located, with studies and observations
// $limit: maximum rows
MATCH (o:Observation)-[:LOCATED_AT]->(r:StudyRegion)
WHERE o.positiveness = 'pos'
RETURN r.region AS region, count(DISTINCT o.study_id) AS studies, count(o) AS observations
ORDER BY observations DESC, region
LIMIT $limit
