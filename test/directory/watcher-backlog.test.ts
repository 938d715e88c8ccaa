/**
 * The watcher never waits behind person runs (issue 11, item 4). A deep backlog of person runs: the
 * runs' directory activities hold every slot of their queue (they wait on a gate this test keeps
 * closed), hundreds more wait for a slot, and a few hundred further runs sit on the orchestration
 * queue whose workers are all gone. A person added to LDAP now must still be delivered by the next
 * polls. The watcher runs as docker-compose's idsync-watcher runs it: `starters/watch.ts --config`
 * in a process of its own, which starts the watcher workflow and runs its workers. On the old layout
 * (watcher workflow on the orchestration queue, its activities on the directory queue) its poll waits
 * behind the backlog and the joiner is never delivered. Last, the upgrade path: a watcher still on the
 * old queues is named at start.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDirectoryActivities } from '../../activities/directory';
import { createDirectorySource } from '../../directory';
import type { DirectorySource } from '../../directory/source';
import type { IdentityEvent } from '../../domain/person';
import type { Runtime } from '../../app/runtime';
import { SIGNALS, WATCHER_WORKFLOW_ID, personWorkflowId } from '../../lib/names';
import { PROJECT_ROOT, stopChild } from '../../scripts/local-services';
import { ensureWatcherRunning } from '../../starters/watch';
import { watcherStatusQuery } from '../../workflows/directory-watcher';
import { testEnv, uniqueId } from '../support/env';
import { pollUntil } from '../support/poll';
import { createLdapFixture, type LdapFixture } from './support/ldap-fixture';
import { buildRuntime, connectClient, terminateQueue } from './support/watcher-harness';
import type { slowPersonRunWorkflow } from './support/backlog-workflows';

/** As the production 'directory' role: the person runs' directory/audit activities share these slots. */
const PERSON_ACTIVITY_SLOTS = 8;
/** Person runs whose activity holds or waits for one of those slots. */
const RUNS_AT_ACTIVITIES = 100;
/** Person runs queued on the orchestration queue with no worker left to take them. */
const RUNS_QUEUED = 200;

type Steps = { started: number; finished: number };

let fx: LdapFixture;
let source: DirectorySource;
let runtime: Runtime;
let connection: Connection;
let client: Client;
let native: NativeConnection;
let personQueue: string;
let personActivityQueue: string;
let personWorkflows: { worker: Worker; running: Promise<void> } | null = null;
let personActivities: { worker: Worker; running: Promise<void> };
let watcherProcess: ChildProcess | null = null;
let watcherOutput = '';
let openGate: () => void = () => undefined;
const steps: Steps = { started: 0, finished: 0 };
const floodIds: string[] = [];

before(async () => {
  fx = await createLdapFixture('backlog');
  for (const uid of ['early1', 'early2', 'early3']) await fx.addPerson(uid);
  personQueue = uniqueId('backlog-orchestration');
  personActivityQueue = uniqueId('backlog-directory');
  const directory = fx.config({ changeLookback: 1000 });
  const scratch = testEnv.scratchDir('backlog');
  const watcherConfig = {
    pollInterval: 300,
    presenceScanInterval: 1000,
    fullScanInterval: 3_600_000,
    stateDir: join(scratch, 'watcher'),
  };
  source = createDirectorySource(directory, process.env);
  ({ runtime } = buildRuntime(directory, watcherConfig, source));
  ({ connection, client } = await connectClient());
  native = await NativeConnection.connect({ address: testEnv.temporalAddress() });

  // The person side, shaped as production's orchestration and directory roles (which, in the old
  // layout, also ran the watcher's workflow and activities).
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const slowPersonStep = async () => {
    steps.started += 1;
    await gate;
    steps.finished += 1;
  };
  const activityWorker = await Worker.create({
    connection: native,
    taskQueue: personActivityQueue,
    activities: { slowPersonStep, ...createDirectoryActivities(runtime, { client, personQueues: { orchestration: personQueue, directory: personActivityQueue } }) },
    maxConcurrentActivityTaskExecutions: PERSON_ACTIVITY_SLOTS,
  });
  personActivities = { worker: activityWorker, running: activityWorker.run() };
  const workflowWorker = await Worker.create({ connection: native, taskQueue: personQueue, workflowsPath: require.resolve('./support/backlog-workflows') });
  personWorkflows = { worker: workflowWorker, running: workflowWorker.run() };

  // The watcher exactly as production runs it: its own process, started from a config file, with the
  // fixed watcher id and queues in the default namespace (no other test file uses them; test/e2e has
  // a namespace of its own).
  const configPath = join(scratch, 'idsync.json');
  const config = {
    temporal: { address: testEnv.temporalAddress(), namespace: 'default' },
    directory,
    watcher: watcherConfig,
    audit: { path: join(scratch, 'audit.log') },
    targets: {},
    policy: { targets: {} },
    // This test's own client and workers read the watcher unencrypted.
    encryption: { mode: 'off' },
  };
  writeFileSync(configPath, JSON.stringify(config));
  watcherProcess = spawn(process.execPath, ['--import', 'tsx', 'starters/watch.ts', '--config', configPath], { cwd: PROJECT_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [watcherProcess.stdout!, watcherProcess.stderr!]) stream.on('data', (chunk) => (watcherOutput += String(chunk)));
  await pollUntil('the watcher baseline poll', async () => ((await watcher().query(watcherStatusQuery)).generation ?? 0) >= 1 || undefined, {
    timeoutMs: 60_000,
    retryErrors: true,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\nstarters/watch.ts said:\n${watcherOutput}`);
  });
});

after(async () => {
  openGate();
  await watcher().terminate('test finished').catch(() => undefined);
  for (const id of floodIds) await client?.workflow.getHandle(id).terminate('test finished').catch(() => undefined);
  if (client) await terminateQueue(client, personQueue);
  if (watcherProcess) await stopChild(watcherProcess);
  for (const w of [personWorkflows, personActivities]) {
    if (!w) continue;
    if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
    await w.running.catch(() => undefined);
  }
  await native?.close();
  await connection?.close();
  await source?.close();
  await fx?.close();
});

function watcher(): WorkflowHandle {
  return client.workflow.getHandle(WATCHER_WORKFLOW_ID);
}

async function startPersonRuns(label: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${personQueue}-${label}-${i}`);
  floodIds.push(...ids);
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map((workflowId) =>
        client.workflow.start<typeof slowPersonRunWorkflow>('slowPersonRunWorkflow', { workflowId, taskQueue: personQueue, args: [{ activityTaskQueue: personActivityQueue }] }),
      ),
    );
  }
  return ids;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

async function history(workflowId: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

/** The identity events signalled to a person workflow so far (none when it does not exist yet). */
async function deliveredEvents(anchor: string): Promise<IdentityEvent[]> {
  const events = await history(personWorkflowId(anchor)).catch(() => [] as HistoryEvent[]);
  return events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED && e.workflowExecutionSignaledEventAttributes?.signalName === SIGNALS.identityEvent)
    .map((e) => defaultPayloadConverter.fromPayload<IdentityEvent>(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!));
}

async function neverPickedUp(workflowId: string): Promise<boolean> {
  return !(await history(workflowId)).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
}

test('a person added behind hundreds of queued person runs is delivered by the watcher\'s next polls', async () => {
  // Person runs take every slot of their activity queue and wait on the gate; the rest queue for a slot.
  await startPersonRuns('at-activities', RUNS_AT_ACTIVITIES);
  await pollUntil('every person-activity slot taken', async () => (steps.started === PERSON_ACTIVITY_SLOTS ? true : undefined), { timeoutMs: 60_000 });
  // (Asked now: on the old layout the orchestration workers below also answered the watcher's queries.)
  const generationBeforeAdd = (await watcher().query(watcherStatusQuery)).generation ?? 0;
  // Then the orchestration workers are gone (as if every slot were busy) and more runs pile up.
  personWorkflows!.worker.shutdown();
  await personWorkflows!.running;
  const queuedRuns = await startPersonRuns('queued', RUNS_QUEUED);

  await fx.addPerson('latecomer');
  const latecomer = await pollUntil('latecomer in the directory', async () => (await source.findPerson({ username: 'latecomer' })) ?? undefined);
  const delivered = await pollUntil('the latecomer\'s joiner delivered', async () => {
    const events = await deliveredEvents(latecomer.anchor);
    return events.length > 0 ? events : undefined;
  }, { timeoutMs: 45_000 });

  // Delivered by a poll after the add, while the whole backlog was still there.
  assert.deepEqual(delivered.map((e) => [e.kind, e.anchor]), [['joiner', latecomer.anchor]]);
  assert.ok(((await watcher().query(watcherStatusQuery)).generation ?? 0) > generationBeforeAdd, 'a poll after the add');
  assert.deepEqual(steps, { started: PERSON_ACTIVITY_SLOTS, finished: 0 }, `every person-activity slot still taken, ${RUNS_AT_ACTIVITIES - PERSON_ACTIVITY_SLOTS} runs waiting for one`);
  const stillQueued = (await Promise.all(queuedRuns.map(neverPickedUp))).filter(Boolean).length;
  assert.equal(stillQueued, RUNS_QUEUED, 'no queued person run was picked up');
  assert.ok(await neverPickedUp(personWorkflowId(latecomer.anchor)), 'delivery needs no person worker: the latecomer\'s run is queued too');
  assert.match(watcherOutput, /running on idsync-watcher, idsync-watcher-activities/, 'the watcher process polls the watcher\'s own queues');
});

test('a watcher an older idsync left on the shared queues is named at start, with what to do', async (t) => {
  await watcher().terminate('replaced by an older-layout watcher');
  const oldQueue = uniqueId('old-orchestration');
  await client.workflow.start('directoryWatcherWorkflow', { workflowId: WATCHER_WORKFLOW_ID, taskQueue: oldQueue, args: [{ activityTaskQueue: uniqueId('old-directory') }] });
  const warn = t.mock.method(console, 'warn', () => undefined);

  await ensureWatcherRunning(client);

  const said = warn.mock.calls.map((call) => String(call.arguments[0]));
  assert.equal(said.length, 1, said.join('\n'));
  assert.match(said[0]!, new RegExp(`started on task queue ${oldQueue} by an older idsync`));
  assert.match(said[0]!, new RegExp(`temporal workflow terminate --workflow-id ${WATCHER_WORKFLOW_ID}`));
  assert.equal((await watcher().describe()).taskQueue, oldQueue, 'left as it is: the operator decides when to move it');
});
