// Removes IS_A links from study regions to anatomy they no longer map to
// $rows: one map per link: key (study region key), name (anatomy name)
UNWIND $rows AS r
MATCH (s:StudyRegion {key: r.key})-[e:IS_A]->(a:Anatomy)
WHERE a.name = r.name
DELETE e
