// Returns every ontology node in the graph (kind, name, content_hash) so that sync can tell what changed
MATCH (f:Finding)
RETURN 'finding' AS kind, f.name AS name, f.content_hash AS hash
UNION ALL
MATCH (a:Anatomy)
RETURN 'region' AS kind, a.name AS name, a.content_hash AS hash
UNION ALL
MATCH (c:Category)
RETURN 'category' AS kind, c.name AS name, c.content_hash AS hash
