import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { createDirectorySource } from '../../directory';
import type { Person } from '../../domain/person';
import { testEnv, uniqueId } from '../support/env';
import { createLdapFixture, type LdapFixture } from './support/ldap-fixture';
import { startHarness, waitUntil, type WatcherHarness } from './support/watcher-harness';
import { approveBatchSignal, rejectBatchSignal, watcherStatusQuery, type WatcherStatus } from '../../workflows/directory-watcher';
import { GUARD_STATES, SEARCH_ATTRIBUTE_KEYS } from '../../lib/search-attributes';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function setup(label: string, people: number, guard: { window?: number; rejectRecheckAfter?: number } = {}): Promise<{ fx: LdapFixture; h: WatcherHarness; watcher: WorkflowHandle; everyone: Person[] }> {
  const fx = await createLdapFixture(label);
  cleanups.push(() => fx.close());
  for (let i = 0; i < people; i++) await fx.addPerson(`p${i}`);
  const h = await startHarness({
    taskQueue: uniqueId(label),
    directory: fx.config({ changeLookback: 1000 }),
    watcher: {
      pollInterval: 300,
      presenceScanInterval: 600,
      fullScanInterval: 3_600_000,
      stateDir: testEnv.scratchDir(`${label}-state`),
      guard: { maxLeavers: 3, maxLeaverPercent: 100, minPeoplePercent: 50, minSnapshotForPercent: 1000, window: 15 * 60_000, rejectRecheckAfter: 24 * 3_600_000, ...guard },
    },
  });
  cleanups.push(() => h.close());
  const watcher = await h.startWatcher(uniqueId(`${label}-watcher`));
  await waitUntil('the baseline', async () => ((await watcher.query(watcherStatusQuery)).generation ?? 0) >= 1 || undefined);
  const everyone: Person[] = [];
  for await (const p of h.source.listPeople()) everyone.push(p);
  return { fx, h, watcher, everyone };
}

async function guardState(watcher: WorkflowHandle): Promise<string | undefined> {
  const description = await watcher.describe();
  return description.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.guardState);
}

async function pollsPass(watcher: WorkflowHandle, ms: number): Promise<WatcherStatus> {
  const start = (await watcher.query(watcherStatusQuery)).lastPollAt!;
  return waitUntil(`polls over ${ms} ms`, async () => {
    const s = await watcher.query(watcherStatusQuery);
    return s.lastPollAt && Date.parse(s.lastPollAt) - Date.parse(start) >= ms ? s : undefined;
  });
}

test('deleting most of the directory holds every leaver for approval while joiners still flow; approving releases them once', async () => {
  const { fx, h, watcher, everyone } = await setup('guard-approve', 10);
  const doomed = everyone.slice(0, 8);
  for (const p of doomed) await fx.remove(p.dn);

  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  assert.equal(held.leavers, 8);
  assert.match(held.reason, /leavers in one poll exceed the limit of 3|directory returned 2 people/);
  assert.equal(await guardState(watcher), GUARD_STATES.awaitingApproval);
  const hold = h.audit.find((r) => r.action === 'guard-hold');
  assert.ok(hold, 'the hold is audited');
  assert.equal(hold.reason, held.reason);

  await fx.addPerson('newbie');
  const newbie = await waitUntil('newbie', async () => (await h.source.findPerson({ username: 'newbie' })) ?? undefined);
  const joined = await h.waitForEvents(newbie.anchor, 1);
  assert.equal(joined[0]!.kind, 'joiner', 'joiners keep flowing while leavers are held');
  await pollsPass(watcher, 1500);
  for (const p of doomed) assert.deepEqual(await h.events(p.anchor), [], `no leaver for ${p.username} before approval`);

  await watcher.signal(approveBatchSignal, { batchId: held.batchId, operator: 'ops@example.com', comment: 'reorg: contractors offboarded' });
  for (const p of doomed) {
    const events = await h.waitForEvents(p.anchor, 1);
    assert.deepEqual(events.map((e) => e.kind), ['leaver']);
  }
  const status = await waitUntil('the batch to clear', async () => {
    const s = await watcher.query(watcherStatusQuery);
    return s.pendingBatch === null ? s : undefined;
  });
  assert.equal(status.decisions[0]?.operator, 'ops@example.com');
  await waitUntil('guard state clear', async () => (await guardState(watcher)) === GUARD_STATES.clear || undefined);
  const approval = h.audit.find((r) => r.action === 'approve');
  assert.equal(approval?.actor, 'ops@example.com');
  assert.equal(approval?.reason, 'reorg: contractors offboarded');
  await pollsPass(watcher, 1500);
  for (const p of doomed) assert.equal((await h.events(p.anchor)).length, 1, `exactly one leaver for ${p.username}`);
  for (const p of everyone.slice(8)) assert.deepEqual(await h.events(p.anchor), []);
});

test('an empty base DN holds everyone; rejecting discards the batch, and the people returning start nothing', async () => {
  const { fx, h, watcher, everyone } = await setup('guard-reject', 6);
  const emptyBase = `ou=empty,${fx.root}`;
  await fx.client.add(emptyBase, { objectClass: 'organizationalUnit', ou: 'empty' });
  const real = h.source.current;
  const wrong = createDirectorySource(fx.config({ people: { baseDn: emptyBase, scope: 'sub' } }), process.env);
  cleanups.push(() => wrong.close());
  h.source.current = wrong;

  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  assert.equal(held.leavers, 6);
  assert.match(held.reason, /directory returned 0 people, last snapshot had 6/);
  await watcher.signal(rejectBatchSignal, { operator: 'ops@example.com', comment: 'wrong base DN after a config change' });
  await waitUntil('the batch to clear', async () => ((await watcher.query(watcherStatusQuery)).pendingBatch === null ? true : undefined));
  const after = await pollsPass(watcher, 1500);
  assert.equal(after.pendingBatch, null, 'rejected people are not held again on every scan');
  assert.equal(h.audit.find((r) => r.action === 'reject')?.actor, 'ops@example.com');

  h.source.current = real;
  await pollsPass(watcher, 1500);
  for (const p of everyone) assert.deepEqual(await h.events(p.anchor), [], `nothing started for ${p.username}`);
  await fx.remove(everyone[0]!.dn);
  const events = await h.waitForEvents(everyone[0]!.anchor, 1);
  assert.equal(events[0]!.kind, 'leaver', 'a kept person who really leaves later is a leaver as usual');
});

test('a leaver seen while a batch is pending waits for the decision, then is judged on its own', async () => {
  const { fx, h, watcher, everyone } = await setup('guard-deferred', 10);
  for (const p of everyone.slice(0, 6)) await fx.remove(p.dn);
  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  assert.equal(held.leavers, 6);
  const late = everyone[8]!;
  await fx.replace(late.dn, 'employeeType', ['disabled']);
  await pollsPass(watcher, 1500);
  assert.deepEqual(await h.events(late.anchor), [], 'not sent while the operator decides');
  assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch?.leavers, 6, 'and not slipped into the batch being reviewed');

  await watcher.signal(approveBatchSignal, { operator: 'ops@example.com', comment: 'expected' });
  const lateEvents = await h.waitForEvents(late.anchor, 1);
  assert.deepEqual(lateEvents.map((e) => [e.kind, e.reason]), [['leaver', 'account disabled']]);
  for (const p of everyone.slice(0, 6)) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver');
  assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch, null);
});

test('deletions split over several polls count together in the window: the ones after the limit are held', async () => {
  const { fx, h, watcher, everyone } = await setup('guard-window', 10);
  const first = everyone.slice(0, 3);
  for (const p of first) await fx.remove(p.dn);
  for (const p of first) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver', 'three are within the limit and flow');
  assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch, null);
  const second = everyone.slice(3, 5);
  for (const p of second) await fx.remove(p.dn);
  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  assert.match(held.reason, /5 leavers within 15 min \(3 already released, 2 in this poll\) exceed the limit of 3/);
  await pollsPass(watcher, 1500);
  for (const p of second) assert.deepEqual(await h.events(p.anchor), [], `no leaver for ${p.username} before a decision`);
  await watcher.signal(approveBatchSignal, { operator: 'ops@example.com', comment: 'planned' });
  for (const p of second) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver');
});

test('reject means "not now": people still gone after the recheck period come back as a new batch', async () => {
  const { fx, h, watcher, everyone } = await setup('guard-recheck', 8, { rejectRecheckAfter: 2000 });
  const doomed = everyone.slice(0, 5);
  for (const p of doomed) await fx.remove(p.dn);
  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  await watcher.signal(rejectBatchSignal, { batchId: held.batchId, operator: 'ops@example.com', comment: 'check with HR first' });
  await waitUntil('the batch to clear', async () => ((await watcher.query(watcherStatusQuery)).pendingBatch === null ? true : undefined));
  const again = await waitUntil('the rejected people held again', async () => {
    const s = await watcher.query(watcherStatusQuery);
    return s.pendingBatch && s.pendingBatch.batchId !== held.batchId ? s.pendingBatch : undefined;
  });
  assert.equal(again.leavers, 5, 'nothing is forgotten: the same people, in a new batch');
  for (const p of doomed) assert.deepEqual(await h.events(p.anchor), [], 'still nothing sent without a human');
  assert.equal(h.audit.filter((r) => r.action === 'guard-hold').length, 2, 'the second hold is audited too');
  await watcher.signal(approveBatchSignal, { batchId: again.batchId, operator: 'ops@example.com', comment: 'HR confirmed' });
  for (const p of doomed) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver');
});
