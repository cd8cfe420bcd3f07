// Removes the given patients left without a study (a study moved to another patient) and marks the others' links as rebuilt; returns nothing
// $patient_ids: patients just relinked
UNWIND $patient_ids AS pid
MATCH (p:Patient {patient_id: pid})
WHERE NOT (p)-[:HAS_STUDY]->(:Study)
DELETE p
WITH count(*) AS _
UNWIND $patient_ids AS pid
MATCH (p:Patient {patient_id: pid})
SET p.link_pending = null
