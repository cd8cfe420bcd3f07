// Links study regions to their anatomy concept with IS_A; idempotent
// $rows: one map per link: key (study region key), name (anatomy name)
UNWIND $rows AS r
MATCH (s:StudyRegion {key: r.key})
MATCH (a:Anatomy {name: r.name})
MERGE (s)-[:IS_A]->(a)
