// Returns the ontology version the graph mirrors (no rows before the first sync)
MATCH (m:Meta {key: 'ontology'})
RETURN m.version AS version, m.path AS path, m.counts AS counts
