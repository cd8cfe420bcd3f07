// Returns every distinct entity text of the observations with how many observations carry it
MATCH (o:Observation)
UNWIND coalesce(o.entities, []) AS text
RETURN text, count(*) AS n
