// Returns the version of the graph as v (no rows before the first write that bumps it); the caches of the app key on it
MATCH (m:Meta {key: 'graph'})
RETURN m.version AS v
