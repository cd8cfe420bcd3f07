// Returns every study id (the relinking of observations and regions goes through them in chunks)
MATCH (s:Study)
RETURN s.study_id AS study_id
ORDER BY study_id
