// Records the digest of the schema just set up in this graph; returns nothing
// $digest: digest of the schema files and node keys
MERGE (m:Meta {key: 'schema'})
SET m.digest = $digest
