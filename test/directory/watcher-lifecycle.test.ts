import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, uniqueId } from '../support/env';
import { createLdapFixture, type LdapFixture } from './support/ldap-fixture';
import { startHarness, waitUntil, type WatcherHarness } from './support/watcher-harness';
import type { WorkflowHandle } from '@temporalio/client';
import { watcherStatusQuery } from '../../workflows/directory-watcher';

let fx: LdapFixture;
let h: WatcherHarness;
let watcher: WorkflowHandle;

before(async () => {
  fx = await createLdapFixture('watch');
  for (const uid of ['base1', 'base2', 'base3']) await fx.addPerson(uid);
  await fx.addGroup('engineering', [fx.personDn('base1')]);
  h = await startHarness({
    taskQueue: uniqueId('watch'),
    directory: fx.config({ changeLookback: 1000 }),
    watcher: { pollInterval: 300, presenceScanInterval: 1000, fullScanInterval: 3_600_000, stateDir: testEnv.scratchDir('watch-state') },
  });
});

after(async () => {
  await h?.close();
  await fx?.close();
});

test('add, regroup, move, disable, re-enable and delete each start exactly one event of the right kind', async () => {
  watcher = await h.startWatcher(uniqueId('watcher'));
  await waitUntil('the baseline poll', async () => ((await watcher.query(watcherStatusQuery)).generation ?? 0) >= 1 || undefined);
  const source = h.source;

  await fx.addPerson('dana', { departmentNumber: 'Support' });
  const dana = await waitUntil('dana in the directory', async () => (await source.findPerson({ username: 'dana' })) ?? undefined);
  const steps: [string, () => Promise<void>, string][] = [
    ['joiner', async () => undefined, 'new in directory'],
    ['mover', () => fx.addValues(fx.groupDn('engineering'), 'member', [fx.personDn('dana')]), 'groups +engineering'],
    ['mover', () => fx.replace(fx.personDn('dana'), 'departmentNumber', ['Sales']), 'attributes changed'],
    ['leaver', () => fx.replace(fx.personDn('dana'), 'employeeType', ['disabled']), 'account disabled'],
    ['rehire', () => fx.deleteValues(fx.personDn('dana'), 'employeeType', ['disabled']), 'account re-enabled'],
    ['leaver', () => fx.remove(fx.personDn('dana')), 'entry deleted or out of scope'],
  ];
  for (const [i, [kind, change, reason]] of steps.entries()) {
    await change();
    const events = await h.waitForEvents(dana.anchor, i + 1);
    assert.equal(events[i]!.kind, kind, `step ${i + 1}`);
    assert.equal(events[i]!.reason, reason, `step ${i + 1}`);
    assert.equal(events[i]!.anchor, dana.anchor);
    assert.equal(events[i]!.source, 'ldap');
  }
  // Several more polls and a presence scan: nothing further may arrive.
  const settled = (await watcher.query(watcherStatusQuery)).lastPollAt;
  await waitUntil('three more polls', async () => {
    const s = await watcher.query(watcherStatusQuery);
    return s.lastPollAt && settled && Date.parse(s.lastPollAt) - Date.parse(settled) > 2500 ? s : undefined;
  });
  const all = await h.events(dana.anchor);
  assert.deepEqual(all.map((e) => e.kind), steps.map(([k]) => k));
  assert.equal(new Set(all.map((e) => e.eventId)).size, steps.length, 'every event has its own id');
  for (const uid of ['base1', 'base2', 'base3']) {
    const person = await source.findPerson({ username: uid });
    const extra = await h.events(person!.anchor);
    // base1's group gained a member: base1 itself did not change, so nothing is sent for it.
    assert.deepEqual(extra, [], `${uid} is untouched`);
  }
  const status = await watcher.query(watcherStatusQuery);
  assert.equal(status.pendingBatch, null);
  assert.ok(status.cursorAdvancedAt, 'the cursor moved');
});

test('removing a subgroup from a group is a mover for the subgroup members (old members found through the snapshot)', async () => {
  await fx.addPerson('eve');
  await fx.addGroup('contractors', [fx.personDn('eve')]);
  await fx.addGroup('all-hands', [fx.groupDn('contractors')]);
  const eve = await waitUntil('eve', async () => (await h.source.findPerson({ username: 'eve' })) ?? undefined);
  // Whether eve's joiner already carried the groups depends on timing; wait until some event did.
  await waitUntil('an event showing eve in all-hands', async () => {
    const events = await h.events(eve.anchor);
    return events.at(-1)?.person?.groups.includes('all-hands') ? events : undefined;
  });
  const before = (await h.events(eve.anchor)).length;
  await fx.replace(fx.groupDn('all-hands'), 'member', [fx.groupDn('all-hands')]);
  const events = await h.waitForEvents(eve.anchor, before + 1);
  const last = events.at(-1)!;
  assert.equal(last.kind, 'mover');
  assert.equal(last.reason, 'groups -all-hands');
  assert.deepEqual(last.person?.groups, ['contractors']);
  assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch, null);
});
