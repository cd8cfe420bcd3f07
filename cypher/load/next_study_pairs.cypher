// Returns every NEXT_STUDY link as the study ids a (earlier) and b (next), to compare the timelines of two graphs
MATCH (a:Study)-[:NEXT_STUDY]->(b:Study)
RETURN a.study_id AS a, b.study_id AS b
