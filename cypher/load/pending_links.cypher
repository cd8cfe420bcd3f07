// Returns up to $limit patients whose NEXT_STUDY chain and comparison links must be rebuilt (their studies changed in a run that may not have finished)
// $limit: how many at most
MATCH (p:Patient)
WHERE p.link_pending = true
RETURN p.patient_id AS patient_id
LIMIT $limit
