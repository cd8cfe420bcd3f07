// Creates PART_OF relationships (a region is part of its parent region); idempotent
// $rows: one map per relationship: source (Anatomy name), target (Anatomy name)
UNWIND $rows AS r
MATCH (a:Anatomy {name: r.source})
MATCH (b:Anatomy {name: r.target})
MERGE (a)-[:PART_OF]->(b)
