/**
 * Durable timers on the time-skipping test server (one per file): approval deadline, grace period
 * before removal (fires after the period and not before), a rehire inside the grace period cancels
 * it, and a future starter is pre-created inactive and activated on the start date.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { testEnv } from '../support/env';
import { readAuditLog } from '../../audit';
import { runStatusQuery, runWorkflowId } from '../../workflows/person-messages';
import { addPerson, buildRuntime, registerSearchAttributes, createFixture, event, eventually, personStatus, scimAccount, sendEvent, startWorkers, uniqueQueues, waitForOutcome, type Fixture } from './support/harness';

let env: TestWorkflowEnvironment;
let fx: Fixture;
let workers: Awaited<ReturnType<typeof startWorkers>>;
const queues = uniqueQueues('timers');
const DAY = 24 * 3600 * 1000;

before(async () => {
  fx = await createFixture('wf-timers');
  // Start and leave dates are read from carLicense and roomNumber here: inetOrgPerson has no date attributes of its own.
  fx.config.directory = fx.ldap.config({ attributes: { startDate: 'carLicense', endDate: 'roomNumber' } } as never) as never;
  fx.runtime = buildRuntime(fx.config, fx.env);
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testEnv.temporalTestServerPath() } } });
  await registerSearchAttributes(env.connection);
  workers = await startWorkers(env.nativeConnection, fx.runtime, queues);
});

after(async () => {
  await workers?.shutdown();
  await env?.teardown();
  await fx?.runtime.directory.close().catch(() => undefined);
  await fx?.close();
});

async function join(uid: string, groups: string[], attrs: Record<string, string> = {}) {
  const anchor = await addPerson(fx, uid, groups, attrs);
  const ev = event(anchor, 'joiner');
  await sendEvent(env.client, queues, ev);
  return { anchor, ev };
}

test('an unanswered approval expires at its deadline: nothing privileged is granted, the expiry is audited', async () => {
  await addPerson(fx, 'lazy.boss', ['staff']);
  const { anchor, ev } = await join('wants.admin', ['support', 'desk-admins'], { manager: fx.ldap.personDn('lazy.boss') });
  const run = env.client.workflow.getHandle(runWorkflowId('joiner', anchor, ev.eventId));
  await eventually('approval pending', async () => ((await run.query(runStatusQuery).catch(() => undefined))?.approval?.state === 'pending' ? true : undefined));
  await env.sleep('1h');
  assert.equal((await run.query(runStatusQuery)).approval?.state, 'pending', 'not before the deadline (2h)');
  await env.sleep('90m');
  const outcome = await waitForOutcome(env.client, anchor, ev.eventId);
  assert.equal(outcome.outcome, 'converged');
  assert.equal((await personStatus(env.client, anchor)).lastResult?.approval?.state, 'expired');
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'wants.admin@example.com'))?.groups, ['Agents']);
  assert.ok((await readAuditLog(fx.auditPath)).some((r) => r.action === 'approval-expired' && r.person === anchor));
});

test('grace period: removal per target after its own period and not before', async () => {
  const { anchor, ev } = await join('gr.ace', ['support', 'staff']);
  await waitForOutcome(env.client, anchor, ev.eventId);
  await fx.ldap.remove(fx.ldap.personDn('gr.ace'));
  const leaver = event(anchor, 'leaver', 'entry deleted');
  await sendEvent(env.client, queues, leaver);
  await waitForOutcome(env.client, anchor, leaver.eventId);
  await env.sleep(DAY + DAY / 2);
  assert.equal((await scimAccount(fx.emulators, 'desk', 'gr.ace@example.com'))?.active, false, 'desk kept (suspended) before its 2d grace period ends');
  assert.equal((await scimAccount(fx.emulators, 'wiki', 'gr.ace@example.com'))?.active, false);
  await env.sleep(DAY);
  await eventually('desk removal', async () => ((await scimAccount(fx.emulators, 'desk', 'gr.ace@example.com')) === undefined ? true : undefined));
  assert.ok(await scimAccount(fx.emulators, 'wiki', 'gr.ace@example.com'), 'wiki (3d) still waits');
  await env.sleep(DAY);
  await eventually('wiki removal', async () => ((await scimAccount(fx.emulators, 'wiki', 'gr.ace@example.com')) === undefined ? true : undefined));
  assert.deepEqual((await personStatus(env.client, anchor)).pendingRemovals, []);
});

test('a rehire inside the grace period cancels the removal and restores access from current policy on the same account', async () => {
  const { anchor, ev } = await join('re.hire', ['support', 'support-leads']);
  await waitForOutcome(env.client, anchor, ev.eventId);
  const before = await scimAccount(fx.emulators, 'desk', 're.hire@example.com');
  await fx.ldap.replace(fx.ldap.personDn('re.hire'), 'employeeType', ['disabled']);
  const leaver = event(anchor, 'leaver', 'account disabled');
  await sendEvent(env.client, queues, leaver);
  await waitForOutcome(env.client, anchor, leaver.eventId);
  await env.sleep(DAY);
  // Back, in another team: no longer a lead.
  await fx.ldap.replace(fx.ldap.personDn('re.hire'), 'employeeType', ['employee']);
  await fx.ldap.deleteValues(fx.ldap.groupDn('support-leads'), 'member', [fx.ldap.personDn('re.hire')]);
  const rehire = event(anchor, 'rehire', 'account re-enabled');
  await sendEvent(env.client, queues, rehire);
  assert.equal((await waitForOutcome(env.client, anchor, rehire.eventId)).outcome, 'converged');
  assert.deepEqual((await personStatus(env.client, anchor)).pendingRemovals, []);
  await env.sleep(3 * DAY);
  const afterRehire = await scimAccount(fx.emulators, 'desk', 're.hire@example.com');
  assert.equal(afterRehire?.id, before?.id, 'the same account, never a second one');
  assert.equal(afterRehire?.active, true);
  assert.deepEqual(afterRehire?.groups, ['Agents'], 'access from current policy, not the old state');
  assert.ok((await readAuditLog(fx.auditPath)).some((r) => r.action === 'deprovisioning-cancelled' && r.person === anchor));
});

test('a future starter is pre-created inactive and activated on the start date by a durable timer', async () => {
  const start = new Date((await env.currentTimeMs()) + 2 * DAY).toISOString().slice(0, 10);
  const { anchor, ev } = await join('fu.ture', ['support'], { carLicense: start });
  const run = env.client.workflow.getHandle(runWorkflowId('joiner', anchor, ev.eventId));
  await eventually('waiting for the start date', async () => ((await run.query(runStatusQuery).catch(() => undefined))?.phase.startsWith('waiting for start date') ? true : undefined));
  assert.equal((await scimAccount(fx.emulators, 'desk', 'fu.ture@example.com'))?.active, false, 'pre-created inactive');
  await env.sleep(3 * DAY);
  assert.equal((await waitForOutcome(env.client, anchor, ev.eventId)).outcome, 'converged');
  assert.equal((await scimAccount(fx.emulators, 'desk', 'fu.ture@example.com'))?.active, true);
});

test('a future leave date waits until then: the person workflow starts the leaver on the day, not before', async () => {
  const leaveOn = new Date((await env.currentTimeMs()) + 2 * DAY).toISOString().slice(0, 10);
  const { anchor, ev } = await join('le.ave', ['support'], { roomNumber: leaveOn });
  await waitForOutcome(env.client, anchor, ev.eventId);
  const status = await personStatus(env.client, anchor);
  // A date-only leave date ends with that day (policy/dates.ts): the leave is due at the next midnight UTC.
  assert.equal(status.pendingLeave?.dueAt, new Date(Date.parse(`${leaveOn}T00:00:00Z`) + DAY).toISOString());
  await env.sleep(DAY);
  assert.equal((await scimAccount(fx.emulators, 'desk', 'le.ave@example.com'))?.active, true, 'still active the day before');
  await env.sleep(2 * DAY);
  await eventually('suspended on the leave date', async () => ((await scimAccount(fx.emulators, 'desk', 'le.ave@example.com'))?.active === false ? true : undefined));
  const after = await personStatus(env.client, anchor);
  assert.equal(after.pendingLeave, undefined);
  assert.deepEqual(after.pendingRemovals.map((r) => r.target), ['desk']);
});
