// Returns the ids of the studies whose id starts with $prefix, in id order (the demo finds its own studies by theirs)
// $prefix: the start every returned study id has, e.g. s5000
MATCH (s:Study)
WHERE s.study_id STARTS WITH $prefix
RETURN s.study_id AS study_id
ORDER BY study_id
