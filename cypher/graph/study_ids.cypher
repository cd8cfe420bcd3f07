// Returns every study id in the graph, in id order (QA generation over all studies; the ontology sync relinks observations and regions through them in chunks)
MATCH (s:Study)
RETURN s.study_id AS study_id
ORDER BY study_id
