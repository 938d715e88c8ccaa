/**
 * A worker process killed (SIGKILL) in the middle of a joiner: after a restart the joiner completes
 * with exactly one account per target and every grant applied, because activities are idempotent
 * ensures and Temporal resumes the workflow where its history left it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { testEnv } from '../support/env';
import { stopChild } from '../../scripts/local-services';
import { addPerson, createFixture, event, eventually, scimAccount, sendEvent, uniqueQueues, waitForOutcome, type Fixture } from './support/harness';

let fx: Fixture;
let connection: Connection;
let client: Client;
const queues = uniqueQueues('crash');
const children: ChildProcess[] = [];

async function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'support', 'worker-process.ts')], {
    env: { ...process.env, IDSYNC_TEST_WORKER: JSON.stringify({ address: testEnv.temporalAddress(), config: fx.config, env: fx.env, queues }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return child;
}

before(async () => {
  fx = await createFixture('wf-crash');
  connection = await Connection.connect({ address: testEnv.temporalAddress() });
  client = new Client({ connection });
});

after(async () => {
  for (const child of children) await stopChild(child, 3000).catch(() => undefined);
  await connection?.close();
  await fx?.close();
});

test('worker killed mid-joiner: restarted, the joiner completes with no duplicate account and no lost step', async () => {
  const anchor = await addPerson(fx, 'cr.ash', ['support', 'support-leads', 'staff', 'editors']);
  // Slow targets so the kill lands between the account's creation and its grants.
  await Promise.all([fx.emulators.handles.desk.setFaults({ latencyMs: 1500 }), fx.emulators.handles.wiki.setFaults({ latencyMs: 1500 })]);
  const first = await startWorkerProcess();
  const ev = event(anchor, 'joiner');
  await sendEvent(client, queues, ev);
  await eventually('the desk account exists', async () => ((await scimAccount(fx.emulators, 'desk', 'cr.ash@example.com')) ? true : undefined), 90_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const midway = await scimAccount(fx.emulators, 'desk', 'cr.ash@example.com');
  assert.notDeepEqual(midway?.groups, ['Agents', 'Team Leads'], 'the kill landed before the joiner finished');

  await Promise.all([fx.emulators.handles.desk.resetFaults(), fx.emulators.handles.wiki.resetFaults()]);
  await startWorkerProcess();
  const outcome = await waitForOutcome(client, anchor, ev.eventId, undefined, 180_000);
  assert.equal(outcome.outcome, 'converged', outcome.message);
  const desk = await scimAccount(fx.emulators, 'desk', 'cr.ash@example.com');
  const wiki = await scimAccount(fx.emulators, 'wiki', 'cr.ash@example.com');
  assert.equal(desk?.count, 1);
  assert.equal(wiki?.count, 1);
  assert.equal(desk?.id, midway?.id, 'the account created before the crash was reused');
  assert.deepEqual(desk?.groups, ['Agents', 'Team Leads']);
  assert.deepEqual(wiki?.groups, ['Editors', 'Readers']);
});
