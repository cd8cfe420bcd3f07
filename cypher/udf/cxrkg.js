// cxrkg's function library for FalkorDB (GRAPH.UDF LOAD REPLACE cxrkg ...), loaded by
// FalkorDBStore each time it connects. Functions are called as cxrkg.<name>(...).

// cxrkg.toJson(value): the value as one JSON string. A QA query's reply of many small
// values per study then reaches Python as one string per study, read by json.loads,
// instead of one client-side decoded reply value each (see cypher/queries.py).
function toJson(value) {
  return JSON.stringify(value);
}

falkor.register('toJson', toJson);
