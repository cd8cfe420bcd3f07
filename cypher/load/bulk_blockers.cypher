// Returns, per label, the nodes that keep a bulk load out: every node with a label not in $allowed (the schema's Meta nodes and the ontology mirror are allowed: a bulk load writes them again)
// $allowed: the labels a graph may hold and still take a bulk load
MATCH (n)
UNWIND labels(n) AS label
WITH label
WHERE NOT label IN $allowed
RETURN label, count(*) AS n
