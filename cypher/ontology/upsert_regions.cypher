// Creates or updates :Anatomy concept nodes (also :Class with uri and name, as n10s does)
// $rows: one map per region: name, uri, label, synonyms, categories, parents, laterality, counterpart, has_box, composite_op, composite_parts, deprecated, replaced_by, codes, code_sources, umls, cxas, sources, definition, content_hash
// $version: the ontology version (content hash of the OWL file)
UNWIND $rows AS r
MERGE (a:Anatomy {name: r.name})
SET a:Class, a.uri = r.uri, a.kind = 'region', a.label = r.label, a.synonyms = r.synonyms,
    a.categories = r.categories, a.parents = r.parents, a.laterality = r.laterality,
    a.counterpart = r.counterpart, a.has_box = r.has_box, a.composite_op = r.composite_op,
    a.composite_parts = r.composite_parts, a.deprecated = r.deprecated,
    a.replaced_by = r.replaced_by, a.codes = r.codes, a.code_sources = r.code_sources,
    a.umls = r.umls, a.cxas = r.cxas, a.sources = r.sources, a.definition = r.definition,
    a.content_hash = r.content_hash, a.ontology_version = $version
