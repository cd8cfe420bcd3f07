// Returns how many studies there are per split and scene-graph quality grade
MATCH (s:Study)
RETURN coalesce(s.split, '(none)') AS split, coalesce(s.grade, '(none)') AS grade, count(*) AS studies
ORDER BY split, grade
