// Constraints and indexes of a Neo4j 5 store (each uniqueness constraint brings its own index)
CREATE CONSTRAINT patient_key IF NOT EXISTS FOR (n:Patient) REQUIRE n.patient_id IS UNIQUE;
CREATE CONSTRAINT study_key IF NOT EXISTS FOR (n:Study) REQUIRE n.study_id IS UNIQUE;
CREATE CONSTRAINT image_key IF NOT EXISTS FOR (n:Image) REQUIRE n.image_id IS UNIQUE;
CREATE CONSTRAINT sentence_key IF NOT EXISTS FOR (n:Sentence) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT observation_key IF NOT EXISTS FOR (n:Observation) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT study_region_key IF NOT EXISTS FOR (n:StudyRegion) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT indication_key IF NOT EXISTS FOR (n:Indication) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT finding_key IF NOT EXISTS FOR (n:Finding) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT anatomy_key IF NOT EXISTS FOR (n:Anatomy) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT category_key IF NOT EXISTS FOR (n:Category) REQUIRE n.name IS UNIQUE;
DROP CONSTRAINT question_key IF EXISTS;
DROP CONSTRAINT answer_key IF EXISTS;
CREATE CONSTRAINT question_study_key IF NOT EXISTS FOR (n:Question) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT answer_study_key IF NOT EXISTS FOR (n:Answer) REQUIRE n.key IS UNIQUE;
CREATE INDEX question_study IF NOT EXISTS FOR (n:Question) ON (n.study_id);
CREATE CONSTRAINT meta_key IF NOT EXISTS FOR (n:Meta) REQUIRE n.key IS UNIQUE;
CREATE INDEX study_region_name IF NOT EXISTS FOR (n:StudyRegion) ON (n.region);
