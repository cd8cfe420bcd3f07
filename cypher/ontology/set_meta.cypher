// Records which ontology version the graph mirrors, and where it came from
// $version: the ontology version (content hash)
// $path: the OWL file synced
// $counts: a flat list of "kind=count" strings
MERGE (m:Meta {key: 'ontology'})
SET m.version = $version, m.path = $path, m.counts = $counts
