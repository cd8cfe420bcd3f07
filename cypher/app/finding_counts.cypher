// Returns how many observations and studies map to an ontology finding directly
// $name: finding concept
MATCH (f:Finding {name: $name})
WITH f
MATCH (f)<-[:HAS_ENTITY]-(o:Observation)
RETURN count(o) AS observations, count(DISTINCT o.study_id) AS studies
