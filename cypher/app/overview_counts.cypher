// Returns the graph's headline counts: patients, studies, images, observations (positive ones too), questions and answers
MATCH (p:Patient)
WITH count(p) AS patients
MATCH (s:Study)
WITH patients, count(s) AS studies
OPTIONAL MATCH (i:Image)
WITH patients, studies, count(i) AS images
OPTIONAL MATCH (o:Observation)
WITH patients, studies, images, count(o) AS observations,
     sum(CASE WHEN o.positiveness = 'pos' THEN 1 ELSE 0 END) AS positive
OPTIONAL MATCH (q:Question)
WITH patients, studies, images, observations, positive, count(q) AS questions
OPTIONAL MATCH (a:Answer)
RETURN patients, studies, images, observations, positive, questions, count(a) AS answers
