// Lints Cypher with Neo4j's own Cypher 5 front end (@neo4j-cypher/language-support), offline.
//
// stdin:  JSON list of {name, text, params}  (params: the parameter names the query declares)
// stdout: JSON {linter, version, cypher, results: [{name, diagnostics: [{severity, message,
//         line, column}]}]}  with line and column 1-based and severity error|warning|info|hint.
//
// Functions and procedures are checked against the built-in registry of a Neo4j 5 server
// that the package records (plugins such as APOC and GDS left out): a call that Neo4j
// itself does not have, say a FalkorDB-only function, is an error here.

import { readFileSync } from 'node:fs';

import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';

const CYPHER = 'CYPHER 5';
const SEVERITY = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };
const PLUGINS = /^(apoc|gds)\./;

function builtinRegistry(kind) {
  const recorded = testData.mockSchema[kind][CYPHER];
  const keep = Object.entries(recorded).filter(([name, entry]) =>
    kind === 'functions' ? entry.isBuiltIn : !PLUGINS.test(name),
  );
  return { [CYPHER]: Object.fromEntries(keep) };
}

const functions = builtinRegistry('functions');
const procedures = builtinRegistry('procedures');

function lintOne({ name, text, params }) {
  const schema = {
    defaultLanguage: CYPHER,
    parameters: Object.fromEntries((params ?? []).map((p) => [p, null])),
    functions,
    procedures,
  };
  const { diagnostics } = lintCypherQuery(text, schema);
  return {
    name,
    diagnostics: diagnostics.map((d) => ({
      severity: SEVERITY[d.severity] ?? 'error',
      message: d.message,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
    })),
  };
}

const pkg = new URL('./node_modules/@neo4j-cypher/language-support/package.json', import.meta.url);
const { version } = JSON.parse(readFileSync(pkg, 'utf8'));
const queries = JSON.parse(readFileSync(0, 'utf8'));
const results = queries.map(lintOne);
process.stdout.write(
  JSON.stringify({
    linter: '@neo4j-cypher/language-support',
    version,
    cypher: CYPHER,
    results,
  }),
);
