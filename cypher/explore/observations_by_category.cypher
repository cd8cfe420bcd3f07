// Returns how many observations (and positive ones) there are per finding category
MATCH (o:Observation)
UNWIND o.categories AS category
RETURN category, count(*) AS observations,
       sum(CASE WHEN o.positiveness = 'pos' THEN 1 ELSE 0 END) AS positive
ORDER BY observations DESC, category
