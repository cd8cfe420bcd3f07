// Creates or updates :Category nodes (finding categories and subcategories, region categories)
// $rows: one map per category: name, uri, levels (list of 'category', 'subcategory', 'region_category'), content_hash
// $version: the ontology version
UNWIND $rows AS r
MERGE (c:Category {name: r.name})
SET c.uri = r.uri, c.kind = 'category', c.levels = r.levels, c.content_hash = r.content_hash,
    c.ontology_version = $version
