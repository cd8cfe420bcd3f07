// One row per report sentence of each study (section and text), the report context the LLM judge rates entailment against.
// $study_ids: study ids of the batch
UNWIND $study_ids AS sid
MATCH (s:Study {study_id: sid})-[:HAS_SENTENCE]->(t:Sentence)
RETURN sid AS study_id, t.sent_id AS sent_id, t.section AS section, t.text AS text
