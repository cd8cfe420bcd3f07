// Returns how many observations and studies are located in study regions that are an ontology region directly
// $name: region concept
MATCH (a:Anatomy {name: $name})
WITH a
MATCH (a)<-[:IS_A]-(:StudyRegion)<-[:LOCATED_AT]-(o:Observation)
RETURN count(o) AS observations, count(DISTINCT o.study_id) AS studies
