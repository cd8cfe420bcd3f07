// Creates REPLACED_BY relationships (a deprecated region points to its replacement); idempotent
// $rows: one map per relationship: source (Anatomy name), target (Anatomy name)
UNWIND $rows AS r
MATCH (a:Anatomy {name: r.source})
MATCH (b:Anatomy {name: r.target})
MERGE (a)-[:REPLACED_BY]->(b)
