// Creates IN_CATEGORY relationships (a finding belongs to its categories and subcategories); idempotent
// $rows: one map per relationship: source (Finding name), target (Category name)
UNWIND $rows AS r
MATCH (a:Finding {name: r.source})
MATCH (b:Category {name: r.target})
MERGE (a)-[:IN_CATEGORY]->(b)
