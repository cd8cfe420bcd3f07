// One row per study with an indication answer (OIND): the indication texts, the OIND observation and the associated finding observations.
// $study_ids: study ids of the batch
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_INDICATION]->(ind:Indication)-[:ANSWERED_BY]->(oind:Observation)
RETURN sid AS study_id,
       ind.summary AS summary, ind.indication AS indication, ind.evaluation AS evaluation,
       oind.obs_id AS answer_obs_id,
       [(ind)-[:ASSOCIATED_OBSERVATION]->(o:Observation) | o.obs_id] AS associated_obs_ids
