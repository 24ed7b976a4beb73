// Runs SQL through DuckDB's engine (@duckdb/node-api, installed by
// scripts/setup-deps.sh) and prints each statement's rows as one JSON
// array per line: tests/e2e/json_export.t checks docs/JSON.md's queries.
// usage: NODE_PATH=/opt/trec-duckdb/node_modules node duckdb_query.js SQL...
'use strict';
const { DuckDBInstance } = require('@duckdb/node-api');

(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  for (const sql of process.argv.slice(2)) {
    const r = await con.runAndReadAll(sql);
    console.log(JSON.stringify(r.getRowObjectsJson()));
  }
})().catch((e) => {
  console.error(String(e));
  process.exit(1);
});
