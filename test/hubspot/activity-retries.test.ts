/**
 * The connector inside real Temporal activities on the target's task queue: retryable failures
 * (crash after write, 5xx) are retried by Temporal and converge on one account; a non-retryable
 * one (bad token) fails the activity at its first attempt.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startHubspotEmulator, type HubspotEmulator } from '../../emulators/hubspot';
import { TASK_QUEUES } from '../../lib/names';
import { createBulkActivities } from './support/adapter-activities';
import type { TargetAdapter } from '../../targets/adapter';
import { testEnv, uniqueId } from '../support/env';
import { desiredAccount, hubspotAdapter } from './helpers';
import { hubspotOnboardOneWorkflow } from './support/onboard-workflow';

const TOKEN = 'pat-na1-activities';
const target = uniqueId('hubspot');
const badTarget = uniqueId('hubspot-badtoken');
const orchestration = uniqueId('hubspot-orchestration');
let emulator: HubspotEmulator;
let connection: NativeConnection;
let clientConnection: Connection;
let client: Client;
const workers: Worker[] = [];
let running: Promise<unknown>;

before(async () => {
  emulator = await startHubspotEmulator({ tokens: [TOKEN] });
  const adapters = new Map<string, TargetAdapter>([
    [target, hubspotAdapter(emulator.url, TOKEN)],
    [badTarget, hubspotAdapter(emulator.url, 'pat-na1-revoked')],
  ]);
  connection = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  const activities = createBulkActivities(adapters);
  workers.push(await Worker.create({ connection, taskQueue: orchestration, workflowsPath: require.resolve('./support/onboard-workflow') }));
  for (const name of [target, badTarget]) workers.push(await Worker.create({ connection, taskQueue: TASK_QUEUES.target(name), activities, maxConcurrentActivityTaskExecutions: 4 }));
  running = Promise.all(workers.map((w) => w.run()));
  clientConnection = await Connection.connect({ address: testEnv.temporalAddress() });
  client = new Client({ connection: clientConnection });
});

after(async () => {
  for (const w of workers) w.shutdown();
  await running;
  await clientConnection.close();
  await connection.close();
  await emulator.close();
});

const salesAccess = [
  { kind: 'role', name: 'Sales Rep' },
  { kind: 'primaryTeam', name: 'EMEA' },
];

test('crash after write, a 5xx and a 429 are retried by Temporal and end in exactly one provisioned account', async () => {
  // SECONDLY keeps the test short: the connector asks Temporal for a ~1 s retry delay instead of a 10 s window.
  emulator.rateLimitFaultPolicy = 'SECONDLY';
  emulator.faults.set({ queue: ['dropAfterWrite', 'serverError', 'rateLimit'] });
  const accountId = await client.workflow.execute(hubspotOnboardOneWorkflow, {
    taskQueue: orchestration,
    workflowId: uniqueId('hubspot-onboard'),
    args: [target, desiredAccount('anchor-temporal', 'temporal@example.com', { entitlements: salesAccess })],
  });
  const users = emulator.store.allUsers().filter((u) => u.email === 'temporal@example.com');
  assert.equal(users.length, 1);
  assert.equal(users[0]!.id, accountId);
  assert.equal(emulator.store.roles.get(users[0]!.roleId!)?.name, 'Sales Rep');
  assert.equal(emulator.faults.injected.dropAfterWrite, 1);
  assert.equal(emulator.faults.injected.serverError, 1);
  assert.equal(emulator.faults.injected.rateLimit, 1);
});

test('a revoked token fails the activity once, as PermissionDenied, without retries', async () => {
  const requestsBefore = emulator.stats.requests;
  const run = client.workflow.execute(hubspotOnboardOneWorkflow, {
    taskQueue: orchestration,
    workflowId: uniqueId('hubspot-onboard-denied'),
    args: [badTarget, desiredAccount('anchor-denied', 'denied@example.com')],
  });
  await assert.rejects(run, (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, 'PermissionDenied');
    return true;
  });
  assert.equal(emulator.stats.requests - requestsBefore, 1, 'one request, no retry');
  assert.equal(emulator.store.findByEmail('denied@example.com'), undefined);
});
