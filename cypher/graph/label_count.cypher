// Returns as n how many nodes carry one label (each engine answers it from its label store, without reading the nodes)
// {label}: the label counted, filled in by NamedQuery.with_names(label=...)
MATCH (n:`{label}`)
RETURN count(n) AS n
