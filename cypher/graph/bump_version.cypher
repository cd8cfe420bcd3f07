// Returns the version of the graph as v after adding one to it (every command that changes studies, QA or the ontology mirror bumps it)
MERGE (m:Meta {key: 'graph'})
SET m.version = coalesce(m.version, 0) + 1
RETURN m.version AS v
