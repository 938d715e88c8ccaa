#!/usr/bin/env node
// `npx idsync ...`: the package's bin. Runs the compiled CLI from dist/ (`npm run build`, which
// `npm start` and `npm run worker` run first), so a command starts without transpiling anything.
// A checkout that was never built still works, from the TypeScript sources through tsx (slower to
// start; the note on stderr says how to make it fast). Plain CommonJS on purpose: it must run before
// any build exists.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const compiled = join(root, 'dist', 'cli', 'idsync.js');
let cli;
if (existsSync(compiled)) {
  cli = require(compiled);
} else {
  process.stderr.write('idsync: no compiled CLI in dist/ (run `npm run build` for a fast start); running from the TypeScript sources\n');
  require('tsx/cjs/api').register();
  cli = require(join(root, 'cli', 'idsync.ts'));
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
