/**
 * Joiner, mover, leaver, bad directory data and event ordering on the real Temporal dev server,
 * the real slapd and the SCIM emulators over HTTP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { readAuditLog, verifyAuditLog } from '../../audit';
import { personWorkflowId as personWorkflowIdOf } from '../../lib/names';
import {
  addPerson,
  createFixture,
  event,
  eventually,
  joinGroup,
  leaveGroup,
  personStatus,
  scimAccount,
  sendEvent,
  startTestStack,
  type TestStack,
  uniqueQueues,
  waitForOutcome,
  type Fixture,
  uniqueId,
} from './support/harness';

let fx: Fixture;
let client: Client;
let stack: TestStack | undefined;
const queues = uniqueQueues('lifecycle');

before(async () => {
  fx = await createFixture('wf-lifecycle');
  stack = await startTestStack(fx, queues);
  client = stack.client;
});

after(async () => {
  await (stack ? stack.close() : fx?.close());
});

test('joiner: accounts and group grants in every target in scope, plan and changes audited', async () => {
  const anchor = await addPerson(fx, 'jo.iner', ['support', 'support-leads', 'staff']);
  const ev = event(anchor, 'joiner');
  await sendEvent(client, queues, ev);
  const outcome = await waitForOutcome(client, anchor, ev.eventId);
  assert.equal(outcome.outcome, 'converged', outcome.message);
  assert.deepEqual(await scimAccount(fx.emulators, 'desk', 'jo.iner@example.com'), { id: (await scimAccount(fx.emulators, 'desk', 'jo.iner@example.com'))!.id, active: true, groups: ['Agents', 'Team Leads'], count: 1 });
  assert.deepEqual((await scimAccount(fx.emulators, 'wiki', 'jo.iner@example.com'))?.groups, ['Readers']);
  const status = await personStatus(client, anchor);
  assert.deepEqual(status.lastResult?.targets.map((t) => [t.target, t.status]), [['desk', 'done'], ['wiki', 'done']]);
  const deskPlan = status.lastResult?.plan?.targets.find((t) => t.target === 'desk');
  assert.ok(deskPlan?.lines.some((l) => l.action === 'grant' && l.subject === 'group:Team Leads' && l.rule === 'desk-leads'), 'the plan names the rule behind each grant');
  const records = await readAuditLog(fx.auditPath);
  assert.ok(records.some((r) => r.action === 'plan' && r.person === anchor));
  assert.ok(records.some((r) => r.action === 'create' && r.person === anchor && r.target === 'desk'));
  assert.deepEqual((await verifyAuditLog(fx.auditPath)).ok, true);
});

test('mover: new grants added, unjustified ones revoked, a target scoped out is suspended and one scoped in is created', async () => {
  const anchor = await addPerson(fx, 'mo.ver', ['support', 'support-leads']);
  const joiner = event(anchor, 'joiner');
  await sendEvent(client, queues, joiner);
  await waitForOutcome(client, anchor, joiner.eventId);
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'mo.ver@example.com'))?.groups, ['Agents', 'Team Leads']);
  assert.equal(await scimAccount(fx.emulators, 'wiki', 'mo.ver@example.com'), undefined);

  await leaveGroup(fx, 'mo.ver', 'support-leads');
  await joinGroup(fx, 'mo.ver', 'staff');
  await joinGroup(fx, 'mo.ver', 'editors');
  const move1 = event(anchor, 'mover', 'groups changed: -support-leads +staff +editors');
  await sendEvent(client, queues, move1);
  assert.equal((await waitForOutcome(client, anchor, move1.eventId)).outcome, 'converged');
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'mo.ver@example.com'))?.groups, ['Agents']);
  assert.deepEqual((await scimAccount(fx.emulators, 'wiki', 'mo.ver@example.com'))?.groups, ['Editors', 'Readers']);

  await leaveGroup(fx, 'mo.ver', 'support');
  const move2 = event(anchor, 'mover', 'groups changed: -support');
  await sendEvent(client, queues, move2);
  await waitForOutcome(client, anchor, move2.eventId);
  assert.equal((await scimAccount(fx.emulators, 'desk', 'mo.ver@example.com'))?.active, false, 'scoped out of desk: suspended');
  const status = await personStatus(client, anchor);
  assert.deepEqual(status.pendingRemovals.map((r) => r.target), ['desk'], 'desk removal waits for its grace period');
  assert.equal((await scimAccount(fx.emulators, 'wiki', 'mo.ver@example.com'))?.active, true, 'wiki untouched');
});

test('leaver: suspended in every target at once, removals scheduled per target grace period', async () => {
  const anchor = await addPerson(fx, 'le.aver', ['support', 'staff']);
  const joiner = event(anchor, 'joiner');
  await sendEvent(client, queues, joiner);
  await waitForOutcome(client, anchor, joiner.eventId);
  await fx.ldap.remove(fx.ldap.personDn('le.aver'));
  const leaver = event(anchor, 'leaver', 'entry deleted');
  await sendEvent(client, queues, leaver);
  assert.equal((await waitForOutcome(client, anchor, leaver.eventId)).outcome, 'converged');
  assert.equal((await scimAccount(fx.emulators, 'desk', 'le.aver@example.com'))?.active, false);
  assert.equal((await scimAccount(fx.emulators, 'wiki', 'le.aver@example.com'))?.active, false);
  const status = await personStatus(client, anchor);
  const grace = Object.fromEntries(status.pendingRemovals.map((r) => [r.target, Date.parse(r.removeAt) - Date.parse(status.recent.at(-1)!.at)]));
  assert.deepEqual(Object.keys(grace).sort(), ['desk', 'wiki']);
  assert.ok(grace.wiki! > grace.desk!, 'wiki has the longer (policy) grace period: 3d against the target default 2d');
});

test('a mover or sync for someone the directory no longer has changes nothing: only a leaver cuts access', async () => {
  const anchor = await addPerson(fx, 'ab.sent', ['support', 'staff']);
  const joiner = event(anchor, 'joiner');
  await sendEvent(client, queues, joiner);
  assert.equal((await waitForOutcome(client, anchor, joiner.eventId)).outcome, 'converged');
  await fx.ldap.remove(fx.ldap.personDn('ab.sent'));
  for (const kind of ['mover', 'sync'] as const) {
    const ev = event(anchor, kind, 'a lookup that found nobody');
    await sendEvent(client, queues, ev);
    const outcome = await waitForOutcome(client, anchor, ev.eventId);
    assert.equal(outcome.outcome, 'failed');
    assert.match(outcome.message ?? '', /is not in the directory: nothing changed; only a leaver .* cuts access/);
    assert.equal((await scimAccount(fx.emulators, 'desk', 'ab.sent@example.com'))?.active, true, `${kind}: the desk account keeps its access`);
    assert.equal((await scimAccount(fx.emulators, 'wiki', 'ab.sent@example.com'))?.active, true, `${kind}: the wiki account keeps its access`);
  }
  const leaver = event(anchor, 'leaver', 'entry deleted');
  await sendEvent(client, queues, leaver);
  assert.equal((await waitForOutcome(client, anchor, leaver.eventId)).outcome, 'converged');
  assert.equal((await scimAccount(fx.emulators, 'desk', 'ab.sent@example.com'))?.active, false, 'the leaver cuts it');
});

test('bad directory data fails that person in that target, naming person, field and target; others proceed', async () => {
  const okAnchor = await addPerson(fx, 'fine.person', ['support']);
  const noEmail = await addPerson(fx, 'no.email', ['support']);
  await fx.ldap.replace(fx.ldap.personDn('no.email'), 'mail', []);
  const badAnchor = await addPerson(fx, 'bad.mail', ['support', 'staff'], { mail: 'not-an-email' });
  const ghost = await addPerson(fx, 'ghost.hunter', ['support', 'ghost-hunters', 'staff']);
  const first = await addPerson(fx, 'same.one', ['staff'], { mail: 'same.name@example.com' });
  const second = await addPerson(fx, 'same.two', ['staff'], { mail: 'Same.Name@example.com' });
  const firstJoin = event(first, 'joiner');
  await sendEvent(client, queues, firstJoin);
  await waitForOutcome(client, first, firstJoin.eventId);
  const events = [okAnchor, noEmail, badAnchor, ghost, second].map((anchor) => event(anchor, 'joiner'));
  for (const ev of events) await sendEvent(client, queues, ev);
  const [ok, missing, bad, ghostOutcome, collision] = await Promise.all(events.map((ev) => waitForOutcome(client, ev.anchor, ev.eventId)));
  assert.equal(ok!.outcome, 'converged');
  assert.ok(await scimAccount(fx.emulators, 'desk', 'fine.person@example.com'));

  assert.equal(missing!.outcome, 'partial');
  assert.match(missing!.message!, /no\.email/);
  assert.match(missing!.message!, /email/i);
  assert.match(missing!.message!, /desk/);

  assert.equal(bad!.outcome, 'partial');
  assert.match(bad!.message!, /bad\.mail/);
  assert.match(bad!.message!, /email/i);
  assert.match(bad!.message!, /desk/);
  assert.match(bad!.message!, /wiki/);

  assert.equal(ghostOutcome!.outcome, 'partial', 'a group the policy names but the target lacks fails that target');
  assert.match(ghostOutcome!.message!, /Ghosts/);
  assert.match(ghostOutcome!.message!, /desk/);
  assert.equal((await scimAccount(fx.emulators, 'wiki', 'ghost.hunter@example.com'))?.active, true, 'the other target proceeds');

  assert.equal(collision!.outcome, 'conflict', 'a username already taken by another person is not taken over: an identity conflict');
  assert.match(collision!.message!, /wiki/);
  const collisionTarget = (await personStatus(client, second)).lastResult?.targets.find((t) => t.target === 'wiki');
  assert.deepEqual(collisionTarget?.conflictWith, [first], 'the conflict names the person who holds the account');
  const state = await fx.emulators.handles.wiki.state();
  assert.equal(state.users.filter((u) => u.userName.toLowerCase() === 'same.name@example.com').length, 1, 'never a second account');
  assert.equal(state.users.find((u) => u.userName.toLowerCase() === 'same.name@example.com')?.externalId, first, 'still linked to the first person');
});

test('two events in quick succession apply in order; a duplicated event starts nothing', async () => {
  const anchor = await addPerson(fx, 'quick.one', ['support']);
  const joiner = event(anchor, 'joiner');
  const mover = event(anchor, 'mover', 'groups changed: +staff');
  await joinGroup(fx, 'quick.one', 'staff');
  await sendEvent(client, queues, joiner);
  await sendEvent(client, queues, joiner);
  await sendEvent(client, queues, mover);
  await waitForOutcome(client, anchor, mover.eventId);
  const status = await personStatus(client, anchor);
  assert.deepEqual(
    status.recent.map((o) => `${o.eventId}:${o.outcome}`),
    [`${joiner.eventId}:duplicate`, `${joiner.eventId}:converged`, `${mover.eventId}:converged`],
  );
  const runs = await eventually('run list', async () => {
    const found: { id: string; start: number }[] = [];
    for await (const wf of client.workflow.list({ query: `IdsyncPerson = '${anchor}' AND WorkflowType != 'personLifecycleWorkflow'` })) {
      found.push({ id: wf.workflowId, start: wf.startTime.getTime() });
    }
    return found.length >= 2 ? found.sort((a, b) => a.start - b.start).map((r) => r.id) : undefined;
  });
  assert.deepEqual(runs, [`idsync-joiner-${anchor}-${joiner.eventId}`, `idsync-mover-${anchor}-${mover.eventId}`], 'one run per distinct event, in order');
  assert.equal((await scimAccount(fx.emulators, 'wiki', 'quick.one@example.com'))?.count, 1);
});

test('continue-as-new carries the small state: recent outcomes, remembered event ids, pending removals', async () => {
  const anchor = await addPerson(fx, 'ca.new', ['staff', 'support']);
  const shortRuns = { ...queues, options: { ...queues.options, eventsPerRun: 2 } };
  const joiner = event(anchor, 'joiner');
  await sendEvent(client, shortRuns, joiner);
  const firstRunId = (await client.workflow.getHandle(personWorkflowIdOf(anchor)).describe()).runId;
  await waitForOutcome(client, anchor, joiner.eventId);
  await leaveGroup(fx, 'ca.new', 'support');
  const mover = event(anchor, 'mover', 'groups changed: -support');
  await sendEvent(client, shortRuns, mover);
  await waitForOutcome(client, anchor, mover.eventId);
  const newRunId = await eventually('continued as new', async () => {
    const { runId } = await client.workflow.getHandle(personWorkflowIdOf(anchor)).describe();
    return runId !== firstRunId ? runId : undefined;
  });
  assert.notEqual(newRunId, firstRunId);
  await sendEvent(client, shortRuns, joiner);
  const duplicate = await waitForOutcome(client, anchor, joiner.eventId, (o) => o.outcome === 'duplicate');
  assert.ok(duplicate, 'an event id from the previous run is still remembered');
  const status = await personStatus(client, anchor);
  assert.deepEqual(status.pendingRemovals.map((r) => r.target), ['desk'], 'the pending removal survived continue-as-new');
  assert.deepEqual(status.recent.map((o) => o.outcome), ['converged', 'converged', 'duplicate']);
});

test('a target failing transiently is retried on its own and the other target is not held up', async () => {
  const anchor = await addPerson(fx, 'flaky.target', ['support', 'staff']);
  await fx.emulators.handles.desk.setFaults({ queue: ['serverError', 'serverError', 'serverError', 'rateLimit'] });
  try {
    const ev = event(anchor, 'joiner');
    await sendEvent(client, queues, ev);
    const outcome = await waitForOutcome(client, anchor, ev.eventId);
    assert.equal(outcome.outcome, 'converged', outcome.message);
    assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'flaky.target@example.com'))?.groups, ['Agents']);
    assert.deepEqual((await scimAccount(fx.emulators, 'wiki', 'flaky.target@example.com'))?.groups, ['Readers']);
    const report = await fx.emulators.handles.desk.setFaults({});
    assert.ok(report.injected.serverError >= 3, 'the faults were really served');
  } finally {
    await fx.emulators.handles.desk.resetFaults();
  }
});

test('a target that stays down leaves the person partial, named and retried; it converges by itself once the target is back, with no duplicate', async () => {
  const anchor = await addPerson(fx, 'down.target', ['support', 'staff']);
  const patient = { ...queues, options: { ...queues.options, targetMaxAttempts: 3, retryBackoffMs: [1000, 2000] } };
  await fx.emulators.handles.wiki.setFaults({ serverErrorRate: 1 });
  let recovered = false;
  try {
    const ev = event(anchor, 'joiner');
    await sendEvent(client, patient, ev);
    const outcome = await waitForOutcome(client, anchor, ev.eventId, undefined, 180_000);
    assert.equal(outcome.outcome, 'partial');
    assert.match(outcome.message!, /wiki: target wiki could not be read/);
    assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'down.target@example.com'))?.groups, ['Agents'], 'the other target is provisioned');
    const status = await personStatus(client, anchor);
    assert.equal(status.outcome, 'partial');
    assert.ok(status.retry, 'a retry is scheduled');
    const listed = await eventually('partial person listed by search attribute', async () => {
      for await (const wf of client.workflow.list({ query: `IdsyncOutcome = 'partial' AND IdsyncPerson = '${anchor}' AND WorkflowType = 'personLifecycleWorkflow'` })) return wf.workflowId;
      return undefined;
    });
    assert.ok(listed);
    await fx.emulators.handles.wiki.resetFaults();
    recovered = true;
    const converged = await eventually('converged with no manual sync', async () => ((await personStatus(client, anchor)).outcome === 'converged' ? true : undefined), 120_000);
    assert.ok(converged);
  } finally {
    if (!recovered) await fx.emulators.handles.wiki.resetFaults();
  }
  assert.equal((await scimAccount(fx.emulators, 'wiki', 'down.target@example.com'))?.count, 1, 'exactly one account');
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'down.target@example.com'))?.count, 1);
  const status = await personStatus(client, anchor);
  assert.deepEqual(Object.keys(status.links).sort(), ['desk', 'wiki'], 'both accounts are linked');
  assert.equal(status.retry, undefined);
});

test('a joiner pushed by a source authoritative for person data is provisioned from the pushed record when the directory does not have the person; a leaver ends it', async () => {
  const anchor = `pushed-${uniqueId('auth')}`;
  const pushed = { anchor, dn: `uid=pushed.person,${fx.ldap.root}`, username: 'pushed.person', email: 'pushed.person@example.com', givenName: 'Pushed', familyName: 'Person', enabled: true, groups: ['support'], extra: {} };
  const joiner = event(anchor, 'joiner', 'pushed by HR', { source: 'intake', personAuthoritative: true, person: pushed });
  await sendEvent(client, queues, joiner);
  const joined = await waitForOutcome(client, anchor, joiner.eventId);
  assert.equal(joined.outcome, 'converged', joined.message);
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'pushed.person@example.com'))?.groups, ['Agents']);
  const leaver = event(anchor, 'leaver', 'left, says HR', { source: 'intake' });
  await sendEvent(client, queues, leaver);
  assert.equal((await waitForOutcome(client, anchor, leaver.eventId)).outcome, 'converged');
  assert.equal((await scimAccount(fx.emulators, 'desk', 'pushed.person@example.com'))?.active, false, 'the leaver ends the pushed record: out of scope, suspended');
  const plain = event(anchor, 'joiner', 'not authoritative', { source: 'intake', person: pushed });
  await sendEvent(client, queues, plain);
  const refused = await waitForOutcome(client, anchor, plain.eventId);
  assert.equal(refused.outcome, 'failed', 'a record from a source that is not authoritative provisions nothing');
});
