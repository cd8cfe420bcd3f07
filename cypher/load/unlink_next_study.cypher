// Removes the NEXT_STUDY chain of the given patients before it is rebuilt
// $patient_ids: patients whose studies changed
UNWIND $patient_ids AS pid
MATCH (p:Patient {patient_id: pid})
WITH pid, p
MATCH (p)-[:HAS_STUDY]->(:Study)-[r:NEXT_STUDY]->(:Study)
DELETE r
