// Returns as n how many nodes the graph holds, of every label
MATCH (n)
RETURN count(n) AS n
