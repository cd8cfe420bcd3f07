// Returns one page of study regions with their region name and the anatomy they are linked to
// $after: the last study region key of the previous page ('' for the first page)
// $limit: page size
MATCH (s:StudyRegion)
WHERE s.key > $after
RETURN s.key AS key, s.study_id AS study_id, s.region AS region,
       [(s)-[:IS_A]->(a:Anatomy) | a.name] AS linked
ORDER BY key
LIMIT $limit
