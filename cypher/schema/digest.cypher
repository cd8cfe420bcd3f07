// Returns the digest of the schema (indexes, constraints) last set up in this graph, so that set-up runs only when the schema files change
MATCH (m:Meta {key: 'schema'})
RETURN m.digest AS digest
