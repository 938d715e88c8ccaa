import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { createDirectorySource } from '../../directory';
import type { DirectorySource } from '../../directory/source';
import { WORKFLOW_TYPES } from '../../lib/names';
import type { IdentityEvent } from '../../domain/person';
import { testEnv, uniqueId } from '../support/env';
import { createLdapFixture, type LdapFixture } from './support/ldap-fixture';
import { connectClient, recordedEvents, terminateQueue, waitUntil } from './support/watcher-harness';
import { watcherStatusQuery } from '../../workflows/directory-watcher';

let fx: LdapFixture;
let client: Client;
let connection: Connection;
let source: DirectorySource;
let bundlePath: string;
const children = new Set<ChildProcess>();
const queues: string[] = [];

before(async () => {
  fx = await createLdapFixture('crash');
  ({ client, connection } = await connectClient());
  source = createDirectorySource(fx.config(), process.env);
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./support/recording-workflows'), logger: quietLogger });
  bundlePath = join(testEnv.scratchDir('crash-bundle'), 'workflows.js');
  writeFileSync(bundlePath, code);
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const q of queues) await terminateQueue(client, q).catch(() => undefined);
  await source?.close();
  await connection?.close();
  await fx?.close();
});

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Starts a worker process and resolves once it polls; `exited` resolves when it dies. */
async function startWorkerProcess(spec: object, crashAfterSignals = 0): Promise<{ child: ChildProcess; exited: Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', require.resolve('./support/watcher-worker-process')], {
    env: { ...process.env, IDSYNC_WATCHER_SPEC: JSON.stringify(spec), IDSYNC_CRASH_AFTER_SIGNALS: String(crashAfterSignals) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => (children.delete(child), resolve(signal ?? String(code)))));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('worker-ready') && resolve());
    child.once('exit', () => reject(new Error('the worker process exited before it was ready')));
  });
  return { child, exited };
}

async function anchorOf(uid: string): Promise<string> {
  return (await waitUntil(uid, async () => (await source.findPerson({ username: uid })) ?? undefined)).anchor;
}

async function eventsFor(anchor: string, count: number): Promise<IdentityEvent[]> {
  return waitUntil(`${count} event(s)`, async () => {
    const events = await recordedEvents(client, anchor);
    return new Set(events.map((e) => e.eventId)).size >= count ? events : undefined;
  });
}

async function startWatcher(taskQueue: string): Promise<WorkflowHandle> {
  const handle = await client.workflow.start(WORKFLOW_TYPES.directoryWatcher, {
    workflowId: uniqueId('crash-watcher'),
    taskQueue,
    args: [{ activityTaskQueue: taskQueue }],
  });
  await waitUntil('the baseline', async () => ((await handle.query(watcherStatusQuery)).generation ?? 0) >= 1 || undefined);
  return handle;
}

function specFor(label: string) {
  const taskQueue = uniqueId(label);
  queues.push(taskQueue);
  return {
    taskQueue,
    workflowBundlePath: bundlePath,
    directory: fx.config({ people: { baseDn: `ou=${label},${fx.peopleDn}`, scope: 'sub' }, changeLookback: 1000 }),
    watcher: { pollInterval: 300, presenceScanInterval: 1000, fullScanInterval: 3_600_000, stateDir: testEnv.scratchDir(`${label}-state`) },
  };
}

async function addUnder(label: string, uid: string, attrs: Record<string, string> = {}): Promise<string> {
  const dn = `uid=${uid},ou=${label},${fx.peopleDn}`;
  await fx.client.add(dn, { objectClass: 'inetOrgPerson', uid, cn: uid, sn: uid, ...attrs });
  return dn;
}

test('a worker SIGKILLed between two changes: the restarted worker delivers the second change once, nothing is missed or repeated', async () => {
  const label = 'killed';
  await fx.client.add(`ou=${label},${fx.peopleDn}`, { objectClass: 'organizationalUnit', ou: label });
  await addUnder(label, 'steady');
  const spec = specFor(label);
  const first = await startWorkerProcess(spec);
  const watcher = await startWatcher(spec.taskQueue);

  const p1dn = await addUnder(label, 'p1', { departmentNumber: 'Support' });
  const p1 = await anchorOf('p1');
  assert.deepEqual((await eventsFor(p1, 1)).map((e) => e.kind), ['joiner']);

  first.child.kill('SIGKILL');
  assert.equal(await first.exited, 'SIGKILL');
  await fx.replace(p1dn, 'departmentNumber', ['Sales']);
  await addUnder(label, 'p2');
  const p2 = await anchorOf('p2');

  const second = await startWorkerProcess(spec);
  const p1Events = await eventsFor(p1, 2);
  const p2Events = await eventsFor(p2, 1);
  // Let the restarted watcher poll a while longer: any repeat would show up now.
  const mark = (await watcher.query(watcherStatusQuery)).lastPollAt!;
  await waitUntil('more polls', async () => {
    const s = await watcher.query(watcherStatusQuery);
    return s.lastPollAt && Date.parse(s.lastPollAt) - Date.parse(mark) > 2500 ? s : undefined;
  });
  assert.deepEqual((await recordedEvents(client, p1)).map((e) => e.kind), ['joiner', 'mover']);
  assert.deepEqual((await recordedEvents(client, p2)).map((e) => e.kind), ['joiner']);
  assert.equal(p1Events.length, 2);
  assert.equal(p2Events.length, 1);
  assert.deepEqual(await recordedEvents(client, await anchorOf('steady')), []);
  second.child.kill('SIGTERM');
  await second.exited;
});

test('a worker killed after delivering but before saving its state: the retried poll repeats the very same event id', async () => {
  const label = 'midpoll';
  await fx.client.add(`ou=${label},${fx.peopleDn}`, { objectClass: 'organizationalUnit', ou: label });
  await addUnder(label, 'steady2');
  const spec = specFor(label);
  const crashing = await startWorkerProcess(spec, 1);
  await startWatcher(spec.taskQueue);

  await addUnder(label, 'q1');
  const q1 = await anchorOf('q1');
  assert.equal(await crashing.exited, 'SIGKILL', 'the worker died right after its first delivery');
  // The first copy is already in q1's history (signalWithStart returned); a worker is needed to query it.
  const healthy = await startWorkerProcess(spec);
  const events = await waitUntil('the redelivery', async () => {
    const evs = await recordedEvents(client, q1);
    return evs.length >= 2 ? evs : undefined;
  });
  assert.equal(events[0]!.kind, 'joiner');
  assert.deepEqual(events.map((e) => e.eventId), [events[0]!.eventId, events[0]!.eventId], 'same change, same id: the person workflow drops the copy');
  await addUnder(label, 'q2');
  const q2 = await anchorOf('q2');
  assert.deepEqual((await eventsFor(q2, 1)).map((e) => e.kind), ['joiner'], 'the watcher carries on normally');
  assert.equal((await recordedEvents(client, q1)).length, 2, 'and does not deliver q1 a third time');
  healthy.child.kill('SIGTERM');
  await healthy.exited;
});
