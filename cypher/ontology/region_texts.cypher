// Returns every distinct region text of the study regions with how many study regions carry it
MATCH (s:StudyRegion)
WHERE s.region IS NOT NULL
RETURN s.region AS text, count(*) AS n
