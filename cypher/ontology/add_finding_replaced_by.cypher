// Creates REPLACED_BY relationships (a deprecated finding points to its replacement); idempotent
// $rows: one map per relationship: source (Finding name), target (Finding name)
UNWIND $rows AS r
MATCH (a:Finding {name: r.source})
MATCH (b:Finding {name: r.target})
MERGE (a)-[:REPLACED_BY]->(b)
