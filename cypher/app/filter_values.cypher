// Returns the distinct values the study filters offer: splits and grades
MATCH (s:Study)
RETURN collect(DISTINCT s.split) AS splits, collect(DISTINCT s.grade) AS grades
