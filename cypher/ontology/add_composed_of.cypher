// Creates COMPOSED_OF relationships (a composite region points to the regions its box is derived from); idempotent
// $rows: one map per relationship: source (Anatomy name), target (Anatomy name)
UNWIND $rows AS r
MATCH (a:Anatomy {name: r.source})
MATCH (b:Anatomy {name: r.target})
MERGE (a)-[:COMPOSED_OF]->(b)
