// Links observations to their findings with HAS_ENTITY; idempotent
// $rows: one map per link: key (observation key), name (finding name)
UNWIND $rows AS r
MATCH (o:Observation {key: r.key})
MATCH (f:Finding {name: r.name})
MERGE (o)-[:HAS_ENTITY]->(f)
