// Deletes relationships that leave :Finding nodes (ontology edges that no longer hold)
// $rows: one map per relationship: source (finding name), type, target (name), target_kind
UNWIND $rows AS r
MATCH (a:Finding {name: r.source})-[e]->(b)
WHERE type(e) = r.type AND b.name = r.target AND b.kind = r.target_kind
DELETE e
