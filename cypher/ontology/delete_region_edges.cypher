// Deletes relationships that leave :Anatomy nodes (ontology edges that no longer hold)
// $rows: one map per relationship: source (region name), type, target (name), target_kind
UNWIND $rows AS r
MATCH (a:Anatomy {name: r.source})-[e]->(b)
WHERE type(e) = r.type AND b.name = r.target AND b.kind = r.target_kind
DELETE e
