// Returns the number of Study nodes (after a bulk load: the graph answers, and holds the studies)
MATCH (s:Study)
RETURN count(s) AS n
