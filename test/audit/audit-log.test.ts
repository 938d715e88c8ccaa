import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FileAuditLog, verifyAuditLog, readAuditLog, recordHash, type AuditSync } from '../../audit';
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

/** A sync that counts its calls (and can be held open), so tests see group commits without timing anything. */
function countingSync(): { sync: AuditSync; calls: () => number; hold: () => void; release: () => void } {
  let calls = 0;
  let gate: Promise<void> | undefined;
  let open = () => {};
  return {
    sync: async (handle) => {
      calls += 1;
      await gate;
      await handle.datasync();
    },
    calls: () => calls,
    hold: () => void (gate = new Promise<void>((r) => (open = r))),
    release: () => open(),
  };
}

test('records that arrive together share one sync, and the chain stays intact', async () => {
  const path = join(testEnv.scratchDir('audit'), 'audit.log');
  const counter = countingSync();
  const log = new FileAuditLog(path, { sync: counter.sync });
  await Promise.all(Array.from({ length: 200 }, (_, i) => log.append({ actor: 'idsync', action: 'grant', person: `anchor-${i}`, key: `wf/${i}` })));
  assert.equal(counter.calls(), 1);
  assert.deepEqual(await verifyAuditLog(path), { ok: true, records: 200 });
  assert.deepEqual((await readAuditLog(path)).map((r) => r.person), Array.from({ length: 200 }, (_, i) => `anchor-${i}`));
});

test('no append resolves before its group is synced; records arriving meanwhile form the next group', async () => {
  const path = join(testEnv.scratchDir('audit'), 'audit.log');
  const counter = countingSync();
  const log = new FileAuditLog(path, { sync: counter.sync });
  counter.hold();
  const resolved: string[] = [];
  const append = (name: string) => log.append({ actor: 'idsync', action: 'grant', reason: name }).then(() => void resolved.push(name));
  const first = Array.from({ length: 5 }, (_, i) => append(`first-${i}`));
  while (counter.calls() < 1) await new Promise((r) => setImmediate(r));
  const second = Array.from({ length: 7 }, (_, i) => append(`second-${i}`));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(resolved, [], 'an append resolved while its sync was still running');
  counter.release();
  await Promise.all(first);
  await Promise.all(second);
  assert.equal(counter.calls(), 2);
  assert.deepEqual(resolved, [...Array.from({ length: 5 }, (_, i) => `first-${i}`), ...Array.from({ length: 7 }, (_, i) => `second-${i}`)]);
  assert.deepEqual(await verifyAuditLog(path), { ok: true, records: 12 });
});

test('a failed sync fails every append of its group; retried with their keys they are stored once', async () => {
  const path = join(testEnv.scratchDir('audit'), 'audit.log');
  let failNext = true;
  const log = new FileAuditLog(path, {
    sync: async (handle) => {
      if (failNext) {
        failNext = false;
        throw new Error('EIO: simulated');
      }
      await handle.datasync();
    },
  });
  const records = Array.from({ length: 10 }, (_, i) => ({ actor: 'idsync', action: 'grant', key: `wf/1/${i}` }));
  const first = await Promise.allSettled(records.map((r) => log.append(r)));
  assert.deepEqual(first.map((r) => r.status), Array.from({ length: 10 }, () => 'rejected'));
  await Promise.all(records.map((r) => log.append(r)));
  await log.append({ actor: 'idsync', action: 'plan', key: 'wf/2' });
  assert.deepEqual(await verifyAuditLog(path), { ok: true, records: 11 });
  assert.deepEqual((await readAuditLog(path)).map((r) => r.key), [...records.map((r) => r.key), 'wf/2']);
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
