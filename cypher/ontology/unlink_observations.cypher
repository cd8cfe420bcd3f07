// Removes HAS_ENTITY links from observations to findings they no longer map to
// $rows: one map per link: key (observation key), name (finding name)
UNWIND $rows AS r
MATCH (o:Observation {key: r.key})-[e:HAS_ENTITY]->(f:Finding)
WHERE f.name = r.name
DELETE e
