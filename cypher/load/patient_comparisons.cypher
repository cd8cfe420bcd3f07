// Returns the stored Chest ImaGenome data of every study of the given patients (to link comparison relations once both studies are loaded)
// $patient_ids: patients whose studies changed
UNWIND $patient_ids AS pid
MATCH (p:Patient {patient_id: pid})
WITH pid, p
MATCH (p)-[:HAS_STUDY]->(s:Study)
WHERE s.imagenome_json IS NOT NULL
RETURN s.study_id AS study_id, s.imagenome_json AS imagenome_json
