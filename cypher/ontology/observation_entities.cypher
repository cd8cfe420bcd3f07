// Returns one page of observations with their entity names and the findings they are linked to
// $after: the last observation key of the previous page ('' for the first page)
// $limit: page size
MATCH (o:Observation)
WHERE o.key > $after
RETURN o.key AS key, o.study_id AS study_id, o.entities AS entities,
       [(o)-[:HAS_ENTITY]->(f:Finding) | f.name] AS linked
ORDER BY key
LIMIT $limit
