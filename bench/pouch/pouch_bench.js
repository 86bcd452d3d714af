#!/usr/bin/env node
// The PouchDB peer of bench/sync-bench (docs/benchmarks.md).
//
//   node pouch_bench.js populate  --db DIR --commits FILE
//   node pouch_bench.js serve     --dir DIR --port PORT
//   node pouch_bench.js replicate --url URL --db DIR
//
// populate: one bulkDocs per line of FILE (a JSON list of [elementId, json text]),
//   each document carrying the _rev of its previous revision; prints {"docs", "revisions"}.
// serve: express-pouchdb over the databases in DIR (leveldb adapter); prints
//   "listening on PORT" once it accepts connections.
// replicate: times PouchDB.replicate(URL, fresh local DIR); prints
//   {"seconds", "docsWritten", "docsRead", "ok"}. The time covers the replication only,
//   not Node's start-up or module loading.
// Modules come from NODE_PATH (the harness installs them outside the repository).
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error('bad argument: ' + argv[i]);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

async function populate(a) {
  const PouchDB = require('pouchdb-node');
  const db = new PouchDB(a.db);
  const revs = new Map();
  const input = readline.createInterface({input: fs.createReadStream(a.commits)});
  let revisions = 0;
  for await (const line of input) {
    if (!line) continue;
    const docs = JSON.parse(line).map(([id, text]) => {
      const doc = JSON.parse(text);
      doc._id = id;
      const rev = revs.get(id);
      if (rev) doc._rev = rev;
      return doc;
    });
    const results = await db.bulkDocs(docs);
    for (const r of results) {
      if (r.error || !r.ok) throw new Error('bulkDocs failed for ' + r.id + ': ' + JSON.stringify(r));
      revs.set(r.id, r.rev);
      revisions++;
    }
  }
  await db.close();
  process.stdout.write(JSON.stringify({docs: revs.size, revisions}) + '\n');
}

function serve(a) {
  const PouchDB = require('pouchdb-node');
  const Prefixed = PouchDB.defaults({prefix: path.resolve(a.dir) + path.sep});
  const app = require('express-pouchdb')(Prefixed, {
    mode: 'minimumForPouchDB',
    inMemoryConfig: true,
    logPath: path.join(a.dir, 'express-pouchdb.log'),
  });
  const server = app.listen(Number(a.port), '127.0.0.1', () => {
    process.stdout.write('listening on ' + server.address().port + '\n');
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function replicate(a) {
  const PouchDB = require('pouchdb-node');
  const local = new PouchDB(a.db);
  const remote = new PouchDB(a.url);
  const start = process.hrtime.bigint();
  const result = await PouchDB.replicate(remote, local);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await local.close();
  process.stdout.write(JSON.stringify({
    seconds,
    docsWritten: result.docs_written,
    docsRead: result.docs_read,
    ok: result.ok,
  }) + '\n');
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  const a = args(rest);
  if (mode === 'populate') return populate(a);
  if (mode === 'serve') return serve(a);
  if (mode === 'replicate') return replicate(a);
  throw new Error('mode must be populate, serve or replicate, got ' + mode);
}

main().catch((e) => {
  process.stderr.write((e && e.stack) || String(e));
  process.stderr.write('\n');
  process.exit(1);
});
