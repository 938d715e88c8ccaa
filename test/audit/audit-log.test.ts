import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FileAuditLog, verifyAuditLog, readAuditLog, recordHash } from '../../audit';
import { testEnv } from '../support/env';

async function writeSampleLog(records = 5): Promise<string> {
  const path = join(testEnv.scratchDir('audit'), 'audit.log');
  const log = new FileAuditLog(path);
  await Promise.all(
    Array.from({ length: records }, (_, i) => log.append({ actor: 'idsync', action: 'grant', person: `anchor-${i}`, target: 'scim', after: { group: `G${i}` } })),
  );
  return path;
}

function rewriteLines(path: string, edit: (lines: string[]) => string[]): void {
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  writeFileSync(path, edit(lines).map((l) => `${l}\n`).join(''));
}

test('concurrent appends from one process form one intact chain', async () => {
  const path = await writeSampleLog(40);
  // A second instance on the same file (another worker's activities) shares the chain.
  await Promise.all([new FileAuditLog(path).append({ actor: 'idsync', action: 'plan' }), new FileAuditLog(path).append({ actor: 'idsync', action: 'plan' })]);
  const result = await verifyAuditLog(path);
  assert.deepEqual(result, { ok: true, records: 42 });
  const records = await readAuditLog(path);
  assert.deepEqual(records.map((r) => r.seq), Array.from({ length: 42 }, (_, i) => i + 1));
});

test('an idempotency key appended twice (activity retry) is stored once, also after a restart', async () => {
  const path = join(testEnv.scratchDir('audit'), 'audit.log');
  await new FileAuditLog(path).append({ actor: 'idsync', action: 'create', key: 'wf/1/create' });
  await new FileAuditLog(path).append({ actor: 'idsync', action: 'create', key: 'wf/1/create' });
  await new FileAuditLog(path).append({ actor: 'idsync', action: 'grant', key: 'wf/1/grant' });
  assert.deepEqual((await readAuditLog(path)).map((r) => r.action), ['create', 'grant']);
});

test('verify names the first edited line', async () => {
  const path = await writeSampleLog();
  rewriteLines(path, (lines) => lines.map((l, i) => (i === 2 ? l.replace('"grant"', '"revoke"') : l)));
  const result = await verifyAuditLog(path);
  assert.equal(result.ok, false);
  assert.equal(result.brokenLine, 3);
  assert.match(result.problem!, /edited/);
});

test('verify names the line after a removed one, including a removed first line', async () => {
  const middle = await writeSampleLog();
  rewriteLines(middle, (lines) => lines.filter((_, i) => i !== 1));
  assert.equal((await verifyAuditLog(middle)).brokenLine, 2);
  const first = await writeSampleLog();
  rewriteLines(first, (lines) => lines.slice(1));
  assert.equal((await verifyAuditLog(first)).brokenLine, 1);
});

test('verify catches a re-hashed edit (the link to the next line breaks) and garbage lines', async () => {
  const path = await writeSampleLog();
  rewriteLines(path, (lines) =>
    lines.map((l, i) => {
      if (i !== 1) return l;
      const { hash: _old, ...body } = JSON.parse(l);
      body.action = 'revoke';
      return JSON.stringify({ ...body, hash: recordHash(body) });
    }),
  );
  assert.equal((await verifyAuditLog(path)).brokenLine, 3);
  const garbage = await writeSampleLog();
  rewriteLines(garbage, (lines) => [...lines.slice(0, 3), 'not json', ...lines.slice(3)]);
  assert.equal((await verifyAuditLog(garbage)).brokenLine, 4);
});

test('several processes appending to one log keep one intact chain', async () => {
  const path = join(testEnv.scratchDir('audit'), 'audit.log');
  const run = promisify(execFile);
  const startAt = String(Date.now() + 4000);
  await Promise.all(['w1', 'w2', 'w3'].map((label) => run(process.execPath, ['--import', 'tsx', join(__dirname, 'append-process.ts'), path, label, '150', startAt])));
  assert.deepEqual(await verifyAuditLog(path), { ok: true, records: 450 });
  const records = await readAuditLog(path);
  assert.deepEqual(new Set(records.map((r) => r.actor)), new Set(['w1', 'w2', 'w3']));
});
