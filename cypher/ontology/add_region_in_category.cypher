// Creates IN_CATEGORY relationships (a region belongs to its category); idempotent
// $rows: one map per relationship: source (Anatomy name), target (Category name)
UNWIND $rows AS r
MATCH (a:Anatomy {name: r.source})
MATCH (b:Category {name: r.target})
MERGE (a)-[:IN_CATEGORY]->(b)
