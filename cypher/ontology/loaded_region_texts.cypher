// Returns the distinct region texts of the given studies' regions that name no anatomy node exactly, with how many study regions carry each
// $study_ids: the studies just loaded
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})
WITH s
MATCH (s)-[:HAS_REGION]->(r:StudyRegion)
WHERE r.region IS NOT NULL
WITH r.region AS text, count(*) AS n
OPTIONAL MATCH (a:Anatomy {name: text})
WITH text, n, a
WHERE a IS NULL
RETURN text, n
