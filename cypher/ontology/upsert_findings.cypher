// Creates or updates :Finding concept nodes (also :Class with uri and name, as n10s does)
// $rows: one map per finding: name, uri, label, synonyms, categories, subcategories, default_regions, parents, is_device, deprecated, replaced_by, codes, code_sources, umls, snomedct, radlex, sources, definition, content_hash
// $version: the ontology version (content hash of the OWL file)
UNWIND $rows AS r
MERGE (f:Finding {name: r.name})
SET f:Class, f.uri = r.uri, f.kind = 'finding', f.label = r.label, f.synonyms = r.synonyms,
    f.categories = r.categories, f.subcategories = r.subcategories,
    f.default_regions = r.default_regions, f.parents = r.parents, f.is_device = r.is_device,
    f.deprecated = r.deprecated, f.replaced_by = r.replaced_by, f.codes = r.codes,
    f.code_sources = r.code_sources, f.umls = r.umls, f.snomedct = r.snomedct,
    f.radlex = r.radlex, f.sources = r.sources, f.definition = r.definition,
    f.content_hash = r.content_hash, f.ontology_version = $version
