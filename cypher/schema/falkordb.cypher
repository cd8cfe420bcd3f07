// Indexes of the embedded FalkorDB store (uniqueness constraints on the key properties are added by GraphStore.setup_schema through GRAPH.CONSTRAINT)
CREATE INDEX FOR (n:Patient) ON (n.patient_id);
CREATE INDEX FOR (n:Study) ON (n.study_id);
CREATE INDEX FOR (n:Image) ON (n.image_id);
CREATE INDEX FOR (n:Sentence) ON (n.key);
CREATE INDEX FOR (n:Observation) ON (n.key);
CREATE INDEX FOR (n:StudyRegion) ON (n.key);
CREATE INDEX FOR (n:StudyRegion) ON (n.region);
CREATE INDEX FOR (n:Indication) ON (n.key);
CREATE INDEX FOR (n:Finding) ON (n.name);
CREATE INDEX FOR (n:Anatomy) ON (n.name);
CREATE INDEX FOR (n:Category) ON (n.name);
CREATE INDEX FOR (n:Question) ON (n.key);
CREATE INDEX FOR (n:Question) ON (n.study_id);
CREATE INDEX FOR (n:Answer) ON (n.key);
CREATE INDEX FOR (n:Meta) ON (n.key);
