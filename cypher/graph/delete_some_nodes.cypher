// Returns as c how many nodes it deleted (at most 10000, with their relationships); clearing a Neo4j graph repeats it until c is 0
MATCH (n)
WITH n LIMIT 10000
DETACH DELETE n
RETURN count(*) AS c
