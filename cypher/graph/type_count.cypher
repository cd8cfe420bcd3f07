// Returns as n how many relationships have one type (each engine answers it from its type store, without reading the relationships)
// {type}: the relationship type counted, filled in by NamedQuery.with_names(type=...)
MATCH ()-[r:`{type}`]->()
RETURN count(r) AS n
