// Creates SUBCLASS_OF relationships (a finding is-a its parent finding); idempotent
// $rows: one map per relationship: source (Finding name), target (Finding name)
UNWIND $rows AS r
MATCH (a:Finding {name: r.source})
MATCH (b:Finding {name: r.target})
MERGE (a)-[:SUBCLASS_OF]->(b)
