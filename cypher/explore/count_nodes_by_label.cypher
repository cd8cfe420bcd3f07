// Returns how many nodes carry each label
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS n
ORDER BY n DESC, label
