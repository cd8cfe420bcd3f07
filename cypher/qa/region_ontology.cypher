// The ontology's regions above and below each named region the ontology knows (none when it is not synced); read once per QA batch for the regions it asks about.
// $regions: region names
UNWIND $regions AS name
MATCH (an:Anatomy {name: name})
RETURN name,
       [(an)-[:PART_OF*1..]->(pa:Anatomy) | pa.name] AS above,
       [(an)<-[:PART_OF*1..]-(pb:Anatomy) | pb.name] AS below
