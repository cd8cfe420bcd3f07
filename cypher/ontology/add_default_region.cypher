// Creates DEFAULT_REGION relationships (a finding is located by default in these regions); idempotent
// $rows: one map per relationship: source (Finding name), target (Anatomy name)
UNWIND $rows AS r
MATCH (a:Finding {name: r.source})
MATCH (b:Anatomy {name: r.target})
MERGE (a)-[:DEFAULT_REGION]->(b)
