// Returns generated questions with their study, type, strategy and grade, filtered and paginated (written by `cxrkg qa generate --write-graph`)
// $study_id: study id, or '' for any
// $question_type: e.g. 'D02_has_finding', or '' for any
// $strategy: question strategy (indication, abnormal, region_abnormal, finding...), or '' for any
// $rating: grade (A++, A+, A, B...), or '' for any
// $skip: rows to skip (pagination)
// $limit: maximum rows
MATCH (q:Question)
WHERE ($study_id = '' OR q.study_id = $study_id)
  AND ($question_type = '' OR q.question_type = $question_type)
  AND ($strategy = '' OR q.question_strategy = $strategy)
  AND ($rating = '' OR q.rating = $rating)
RETURN q.key AS key, q.question_id AS question_id, q.study_id AS study_id,
       q.question_type AS question_type, q.question_strategy AS strategy, q.rating AS rating,
       q.text AS question, q.position AS position
ORDER BY study_id, position, question_id
SKIP $skip
LIMIT $limit
