import { randomBytes } from 'node:crypto';
/**
 * The production starter (`starters/watch.ts --config`, docker-compose's idsync-watcher) owns the
 * reconciliation Schedule as `npm start` does: each start creates it or brings it in line with the
 * config, and a config that disables it removes it. The starter runs as in production, in a process
 * of its own with the fixed watcher and schedule ids, so it gets a namespace of its own (registered
 * here with idsync's search attributes) and never meets test/directory/watcher-backlog's watcher.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { RECONCILE_SCHEDULE_ID, TASK_QUEUES, WATCHER_WORKFLOW_ID } from '../../lib/names';
import { SEARCH_ATTRIBUTE_KEYS } from '../../lib/search-attributes';
import { PROJECT_ROOT, stopChild } from '../../scripts/local-services';
import { testEnv, uniqueId } from '../support/env';
import { pollUntil } from '../support/poll';
import { createLdapFixture, type LdapFixture } from '../directory/support/ldap-fixture';
import { idsyncDataConverter } from '../../app/encryption';

/** Encrypted as production runs it; the test's own client holds the same key to read the Schedule. */
const ENCRYPTION = { mode: 'aes-256-gcm' as const, keysEnv: 'WATCH_SCHEDULE_TEST_KEYS' };
const KEY_ENV = { WATCH_SCHEDULE_TEST_KEYS: `k1=${randomBytes(32).toString('base64')}` };

const namespace = uniqueId('idsync-watch-schedule');
const scratch = testEnv.scratchDir('watch-schedule');
const configPath = join(scratch, 'idsync.json');
let connection: Connection;
let client: Client;
let fx: LdapFixture;
let starter: { child: ChildProcess; output: string } | undefined;

before(async () => {
  connection = await Connection.connect({ address: testEnv.temporalAddress() });
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  const searchAttributes = Object.fromEntries(Object.values(SEARCH_ATTRIBUTE_KEYS).map((key) => [key.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]));
  // A namespace just registered takes a moment to reach every service of the server.
  await pollUntil('the new namespace to take search attributes', async () => (await connection.operatorService.addSearchAttributes({ namespace, searchAttributes }), true), {
    timeoutMs: 30_000,
    retryErrors: true,
  });
  client = new Client({ connection, namespace, dataConverter: idsyncDataConverter({ encryption: ENCRYPTION }, KEY_ENV) });
  fx = await createLdapFixture('watch-schedule');
});

after(async () => {
  if (starter) await stopChild(starter.child);
  await client?.workflow.getHandle(WATCHER_WORKFLOW_ID).terminate('test finished').catch(() => undefined);
  await client?.schedule.getHandle(RECONCILE_SCHEDULE_ID).delete().catch(() => undefined);
  await connection?.close();
  await fx?.close();
});

/** Writes the config and starts the starter as docker-compose does; the previous one is stopped first. */
async function startStarter(reconcile: unknown): Promise<void> {
  if (starter) await stopChild(starter.child);
  const config = {
    temporal: { address: testEnv.temporalAddress(), namespace },
    directory: fx.config(),
    watcher: { stateDir: join(scratch, 'watcher') },
    audit: { path: join(scratch, 'audit.log') },
    // As production runs it: encrypted, the key from the environment.
    encryption: ENCRYPTION,
    targets: {},
    policy: { targets: {} },
    reconcile,
  };
  writeFileSync(configPath, JSON.stringify(config));
  const env = { ...process.env, ...KEY_ENV };
  const child = spawn(process.execPath, ['--import', 'tsx', 'starters/watch.ts', '--config', configPath], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = { child, output: '' };
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk) => (started.output += String(chunk)));
  starter = started;
  await pollUntil('the starter to report the schedule', async () => {
    if (child.exitCode !== null) throw new Error(`starters/watch.ts exited with ${child.exitCode}:\n${started.output}`);
    return /reconciliation schedule \S+ (created|updated|disabled)/.exec(started.output)?.[1];
  }, { timeoutMs: 60_000 });
}

const describeSchedule = () => client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe();

function assertReconciles(described: ScheduleDescription, everyMs: number, apply: boolean): void {
  assert.deepEqual(described.spec.intervals?.map((i) => i.every), [everyMs]);
  assert.equal(described.action.type, 'startWorkflow');
  if (described.action.type !== 'startWorkflow') return;
  assert.equal(described.action.workflowType, 'reconcileWorkflow');
  assert.equal(described.action.taskQueue, TASK_QUEUES.orchestration, 'on the queue the production workers poll');
  assert.deepEqual(described.action.args, [{ apply, trigger: 'schedule' }]);
}

test('each start of the production starter creates the reconcile Schedule, brings it in line with the config, and removes it when disabled', async () => {
  await assert.rejects(describeSchedule(), ScheduleNotFoundError, 'no schedule before the first start');

  await startStarter({ schedule: { every: '30m', apply: false } });
  assert.match(starter!.output, /reconciliation schedule idsync-reconcile created/);
  assertReconciles(await describeSchedule(), 30 * 60_000, false);

  await startStarter({ schedule: { every: '2h' } });
  assert.match(starter!.output, /reconciliation schedule idsync-reconcile updated/);
  assertReconciles(await describeSchedule(), 2 * 3600_000, true);

  await startStarter({ schedule: { enabled: false } });
  assert.match(starter!.output, /reconciliation schedule idsync-reconcile disabled/);
  await assert.rejects(describeSchedule(), ScheduleNotFoundError, 'a disabled schedule is removed');
});
