// Returns the most frequent findings of positive observations (ontology concepts they map to), with studies and observations
// $limit: maximum rows
MATCH (f:Finding)<-[:HAS_ENTITY]-(o:Observation)
WHERE o.positiveness = 'pos'
RETURN f.name AS finding, count(DISTINCT o.study_id) AS studies, count(o) AS observations
ORDER BY observations DESC, finding
LIMIT $limit
