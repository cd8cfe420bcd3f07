// Returns one study's whole subgraph (nodes, relation rows, localizations) for reading it back into a SceneGraph
// $study_id: the study
MATCH (s:Study {study_id: $study_id})
CALL {
  WITH s
  MATCH (s)-[:HAS_IMAGE]->(i:Image)
  RETURN collect(i) AS images
}
CALL {
  WITH s
  MATCH (s)-[:HAS_SENTENCE]->(n:Sentence)
  RETURN collect(n) AS sentences
}
CALL {
  WITH s
  MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)
  RETURN collect(o) AS observations
}
CALL {
  WITH s
  MATCH (s)-[:HAS_REGION]->(r:StudyRegion)
  RETURN collect(r) AS regions
}
CALL {
  WITH s
  OPTIONAL MATCH (s)-[:HAS_INDICATION]->(ind:Indication)
  OPTIONAL MATCH (ind)-[:ANSWERED_BY]->(ans:Observation)
  RETURN ind AS indication, ans AS answer
}
CALL {
  WITH s
  MATCH (s)-[:HAS_OBSERVATION]->(a:Observation)-[c:HAS_CHILD]->(b:Observation)
  RETURN collect({parent: a.obs_id, child: b.obs_id, props: properties(c)}) AS children
}
CALL {
  WITH s
  MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)-[f:FROM_SENTENCE]->(n:Sentence)
  RETURN collect({obs: o.obs_id, sent: n.sent_id, props: properties(f)}) AS obs_sent
}
CALL {
  WITH s
  MATCH (s)-[:HAS_OBSERVATION]->(o:Observation)-[l:LOCATED_AT]->(r:StudyRegion)
  RETURN collect({obs: o.obs_id, region: r.region, props: properties(l)}) AS located_at
}
CALL {
  WITH s
  MATCH (s)-[:HAS_INDICATION]->(:Indication)-[:ANSWERED_BY]->(o:Observation)-[l:LOCATED_AT]->(r:StudyRegion)
  RETURN collect({obs: o.obs_id, region: r.region, props: properties(l)}) AS answer_located_at
}
CALL {
  WITH s
  MATCH (s)-[:HAS_REGION]->(a:StudyRegion)-[rr]->(b:StudyRegion)
  WHERE type(rr) IN ['SUB_REGION_OF', 'LEFT_OF', 'RIGHT_OF', 'REGION_RELATION']
  RETURN collect({from: a.region, to: b.region, type: type(rr), props: properties(rr)}) AS region_rels
}
CALL {
  WITH s
  MATCH (s)-[:HAS_OBSERVATION]->(x)-[l:LOCALIZED_IN]->(i:Image)
  RETURN collect({key: x.key, image_id: i.image_id, props: properties(l)}) AS loc1
}
CALL {
  WITH s
  MATCH (s)-[:HAS_REGION]->(x)-[l:LOCALIZED_IN]->(i:Image)
  RETURN collect({key: x.key, image_id: i.image_id, props: properties(l)}) AS loc3
}
CALL {
  WITH s
  MATCH (s)-[:HAS_INDICATION]->(:Indication)-[:ANSWERED_BY]->(x:Observation)-[l:LOCALIZED_IN]->(i:Image)
  RETURN collect({key: x.key, image_id: i.image_id, props: properties(l)}) AS loc2
}
RETURN s AS study, images, sentences, observations, regions, indication, answer, children, obs_sent,
       located_at + answer_located_at AS located_at, region_rels, loc1 + loc2 + loc3 AS localizations
