// The ontology's findings above each named finding the ontology knows, and whether it is a device (none when the ontology is not synced); read once per QA batch for the findings it asks about.
// $findings: finding names
UNWIND $findings AS name
MATCH (f:Finding {name: name})
RETURN name,
       coalesce(f.is_device, false) AS is_device,
       [(f)-[:SUBCLASS_OF*1..]->(af:Finding) | af.name] AS ancestors
