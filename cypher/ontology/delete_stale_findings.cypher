// Deletes :Finding nodes whose name is no longer in the ontology, with their relationships
// $names: the names of all findings in the ontology
MATCH (f:Finding)
WHERE NOT f.name IN $names
DETACH DELETE f
