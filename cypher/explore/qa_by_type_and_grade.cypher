// Returns how many generated questions there are per question type and grade
MATCH (q:Question)
RETURN q.question_type AS question_type, q.rating AS rating, count(*) AS questions
ORDER BY question_type, rating
