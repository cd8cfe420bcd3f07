// Returns every relationship between ontology nodes: source kind and name, type, target kind and name
MATCH (a:Class)-[e]->(b)
WHERE b:Class OR b:Category
RETURN a.kind AS source_kind, a.name AS source, type(e) AS type, b.kind AS target_kind,
       b.name AS target
