// Returns the finding entities and study regions the graph holds (dataset_info.json of a QA release)
MATCH (o:Observation)
UNWIND coalesce(o.entities, []) AS e
WITH collect(DISTINCT e) AS entities
OPTIONAL MATCH (r:StudyRegion)
RETURN entities, collect(DISTINCT r.region) AS regions
