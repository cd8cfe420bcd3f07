// Deletes :Anatomy nodes whose name is no longer in the ontology, with their relationships
// $names: the names of all regions in the ontology
MATCH (a:Anatomy)
WHERE NOT a.name IN $names
DETACH DELETE a
