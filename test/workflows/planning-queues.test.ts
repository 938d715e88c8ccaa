/**
 * Planning stays inside each target's budget: every read of a target (the planning read included)
 * runs on that target's own rate-limited task queue, never on the directory queue, whose worker has
 * no rate limit. The directory worker here has no target adapters at all, so a target read routed
 * to it fails the run; the run's history also names the queue of every target activity, and shows
 * the planning read scheduled below the apply steps' priority.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { testEnv } from '../support/env';
import { createProvisioningActivities } from '../../activities/provisioning';
import { runWorkflowId } from '../../lib/names';
import { PLANNING_PRIORITY } from '../../workflows/jml-apply';
import { TARGETS, addPerson, createFixture, event, personWorkflowBundle, sendEvent, uniqueQueues, waitForOutcome, type Fixture } from './support/harness';

let fx: Fixture;
let connection: Connection;
let native: NativeConnection;
let client: Client;
const workers: Worker[] = [];
let running: Promise<unknown>[] = [];
const queues = uniqueQueues('planning-queues');

before(async () => {
  fx = await createFixture('wf-planning-queues');
  connection = await Connection.connect({ address: testEnv.temporalAddress() });
  native = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  client = new Client({ connection });
  const withTargets = createProvisioningActivities(fx.runtime, { client });
  const directoryOnly = createProvisioningActivities({ ...fx.runtime, adapters: new Map() }, { client });
  workers.push(
    await Worker.create({ connection: native, taskQueue: queues.orchestration, workflowBundle: await personWorkflowBundle() }),
    await Worker.create({ connection: native, taskQueue: queues.options.directoryQueue!, activities: directoryOnly }),
    ...(await Promise.all(TARGETS.map((t) => Worker.create({ connection: native, taskQueue: `${queues.options.targetQueuePrefix}${t}`, activities: withTargets })))),
  );
  running = workers.map((w) => w.run());
});

after(async () => {
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  await Promise.allSettled(running);
  await native?.close();
  await connection?.close();
  await fx?.close();
});

/** Activities that take the target's name as their first argument: each must run on that target's queue. */
const TARGET_ACTIVITIES = new Set(['planTarget', 'findAccount', 'ensureAccount', 'ensureEntitlements', 'suspendAccount', 'removeAccount']);

async function targetActivityQueues(workflowId: string): Promise<{ activity: string; target: string; queue: string; priority: number }[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a && TARGET_ACTIVITIES.has(a.activityType?.name ?? ''))
    .map((a) => ({
      activity: a!.activityType!.name!,
      target: JSON.parse(Buffer.from(a!.input!.payloads![0]!.data!).toString('utf8')) as string,
      queue: a!.taskQueue!.name!,
      priority: a!.priority?.priorityKey ?? 0,
    }));
}

test('a joiner plans and provisions every target on its own queue; the unlimited directory queue never reads a target', async () => {
  const anchor = await addPerson(fx, 'plan.queues', ['support', 'staff']);
  const ev = event(anchor, 'joiner');
  await sendEvent(client, queues, ev);
  const outcome = await waitForOutcome(client, anchor, ev.eventId);
  assert.equal(outcome.outcome, 'converged', outcome.message);
  const scheduled = await targetActivityQueues(runWorkflowId('joiner', anchor, ev.eventId));
  assert.deepEqual(scheduled.filter((s) => s.activity === 'planTarget').map((s) => s.target).sort(), [...TARGETS]);
  for (const s of scheduled) assert.equal(s.queue, `${queues.options.targetQueuePrefix}${s.target}`, `${s.activity} for ${s.target} ran on ${s.queue}`);
  // Waiting apply steps go first (default priority), so a burst of joiners keeps a steady mix of reads and writes.
  for (const s of scheduled) assert.equal(s.priority, s.activity === 'planTarget' ? PLANNING_PRIORITY.priorityKey : 0, `${s.activity} priority`);
});
