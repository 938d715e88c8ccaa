/** The reconciliation Schedule on the real Temporal dev server: created from config, updated, removed. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { testEnv, uniqueId } from '../support/env';
import { ensureReconcileSchedule } from '../../starters/reconcile-schedule';
import { reconcileConfigSchema } from '../../policy/reconcile-config';
import type { IdsyncConfig } from '../../app/config';

let connection: Connection;
let client: Client;
const scheduleId = uniqueId('reconcile-schedule');

before(async () => {
  connection = await Connection.connect({ address: testEnv.temporalAddress() });
  client = new Client({ connection });
});

after(async () => {
  await client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
  await connection?.close();
});

const configWith = (reconcile: unknown) => ({ reconcile: reconcileConfigSchema.parse(reconcile) }) as unknown as IdsyncConfig;

test('created every 6 h by default, brought in line with the config on the next start, deleted when disabled', async () => {
  const taskQueue = uniqueId('reconcile-schedule-queue');
  assert.equal(await ensureReconcileSchedule(client, configWith({}), { scheduleId, taskQueue }), 'created');
  let described = await client.schedule.getHandle(scheduleId).describe();
  assert.deepEqual(described.spec.intervals?.map((i) => i.every), [6 * 3600 * 1000]);
  assert.equal(described.policies.overlap, ScheduleOverlapPolicy.SKIP, 'a run still going (or held by the guard) is not stacked');
  assert.equal(described.action.type, 'startWorkflow');
  if (described.action.type === 'startWorkflow') {
    assert.equal(described.action.workflowType, 'reconcileWorkflow');
    assert.equal(described.action.taskQueue, taskQueue);
    assert.deepEqual(described.action.args, [{ apply: true, trigger: 'schedule' }]);
  }

  assert.equal(await ensureReconcileSchedule(client, configWith({ schedule: { every: '30m', apply: false } }), { scheduleId, taskQueue }), 'updated');
  described = await client.schedule.getHandle(scheduleId).describe();
  assert.deepEqual(described.spec.intervals?.map((i) => i.every), [30 * 60 * 1000]);
  if (described.action.type === 'startWorkflow') assert.deepEqual(described.action.args, [{ apply: false, trigger: 'schedule' }]);

  assert.equal(await ensureReconcileSchedule(client, configWith({ schedule: { enabled: false } }), { scheduleId, taskQueue }), 'disabled');
  await assert.rejects(client.schedule.getHandle(scheduleId).describe(), /not found/i);
  assert.equal(await ensureReconcileSchedule(client, configWith({ schedule: { enabled: false } }), { scheduleId, taskQueue }), 'disabled', 'disabling twice is fine');
});
