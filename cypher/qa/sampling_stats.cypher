// Graph-wide counts of positive and negative observations per region and per finding entity (the sampling weights of extra questions).
UNWIND [1] AS once
MATCH (o:Observation)
WHERE o.positiveness IN ['pos', 'neg'] AND coalesce(o.is_indication_answer, false) = false
WITH o.positiveness AS pol, coalesce(o.regions, []) AS regions, coalesce(o.entities, []) AS entities
UNWIND [r IN regions | {kind: 'region', name: r}] + [e IN entities | {kind: 'finding', name: e}] AS item
RETURN item.kind AS kind, item.name AS name,
       sum(CASE WHEN pol = 'pos' THEN 1 ELSE 0 END) AS positive,
       sum(CASE WHEN pol = 'neg' THEN 1 ELSE 0 END) AS negative
ORDER BY kind, name
