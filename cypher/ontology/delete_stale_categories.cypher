// Deletes :Category nodes that no concept uses any more, with their relationships
// $names: the names of all categories in the ontology
MATCH (c:Category)
WHERE NOT c.name IN $names
DETACH DELETE c
