// Creates COUNTERPART relationships (a left region points to its right counterpart and back); idempotent
// $rows: one map per relationship: source (Anatomy name), target (Anatomy name)
UNWIND $rows AS r
MATCH (a:Anatomy {name: r.source})
MATCH (b:Anatomy {name: r.target})
MERGE (a)-[:COUNTERPART]->(b)
