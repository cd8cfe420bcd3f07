// Returns the distinct question types, strategies and grades of the generated questions
MATCH (q:Question)
RETURN collect(DISTINCT q.question_type) AS types, collect(DISTINCT q.question_strategy) AS strategies,
       collect(DISTINCT q.rating) AS ratings
