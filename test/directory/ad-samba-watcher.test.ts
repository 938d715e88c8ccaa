/**
 * The directory watcher end to end (real Temporal, real watcher workflow and activities) on a real
 * AD-compatible domain controller (Samba) with config/idsync.example.yaml's AD settings: every
 * lifecycle change becomes exactly one event of the right kind. Presence and full scans are set an
 * hour apart, so what is seen here comes from uSNChanged, group re-reads and tombstones.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { DirectorySource } from '../../directory/source';
import { watcherStatusQuery } from '../../workflows/directory-watcher';
import { testEnv, uniqueId } from '../support/env';
import { sambaSkipReason, startSambaFixture, UAC_DISABLED, UAC_ENABLED, type SambaFixture } from './support/samba-fixture';
import { startHarness, waitUntil, type WatcherHarness } from './support/watcher-harness';

const HOUR = 3_600_000;
const PAST = String((BigInt(Date.parse('2020-01-01T00:00:00Z')) + 11_644_473_600_000n) * 10_000n);
const NEVER_EXPIRES = '9223372036854775807';

const skip = sambaSkipReason();
if (skip) test('directory watcher against a real Samba DC', { skip }, () => undefined);
else registerTests();

function registerTests(): void {
  let fx: SambaFixture;
  let h: WatcherHarness;
  let watcher: WorkflowHandle;
  const baseline = ['Ann Base', 'Bo Base', 'Erin Base'];

  before(async () => {
    fx = await startSambaFixture('watch');
    const dns = [];
    for (const name of baseline) dns.push(await fx.addPerson(name, { sAMAccountName: name.split(' ')[0]!.toLowerCase() }));
    await fx.addGroup('sales', dns);
    h = await startHarness({
      taskQueue: uniqueId('ad-watch'),
      directory: fx.config(),
      watcher: { pollInterval: 300, presenceScanInterval: HOUR, fullScanInterval: HOUR, stateDir: testEnv.scratchDir('ad-watch-state') },
    });
    watcher = await h.startWatcher(uniqueId('ad-watcher'));
    await waitUntil('the baseline poll', async () => ((await watcher.query(watcherStatusQuery)).generation ?? 0) >= 1 || undefined);
  });

  after(async () => {
    await h?.close();
    await fx?.close();
  });

  /** Until a poll has started after now: every poll before it, with its deliveries, is complete. */
  async function pollsAfterNow(count = 2): Promise<void> {
    for (let i = 0; i < count; i++) {
      const now = Date.now();
      await waitUntil('the next poll', async () => {
        const s = await watcher.query(watcherStatusQuery);
        return s.lastPollAt && Date.parse(s.lastPollAt) > now ? s : undefined;
      });
    }
  }

  async function anchorOf(username: string): Promise<string> {
    return (await waitUntil(`${username} in the directory`, async () => (await h.source.findPerson({ username })) ?? undefined)).anchor;
  }

  test('join, regroup, rename, disable, expire, delete and restore: exactly one event of the right kind each', async () => {
    let dn = await fx.addPerson('Dana Ünal', { sAMAccountName: 'dunal', department: 'Support' });
    const dana = await anchorOf('dunal');
    const sales = fx.groupDn('sales');
    const steps: [string, () => Promise<unknown>, string][] = [
      ['joiner', async () => undefined, 'new in directory'],
      ['mover', () => fx.addValues(sales, 'member', [dn]), 'groups +sales'],
      // Only the group's uSNChanged moves: the watcher finds dana again by objectGUID (this was a leaver).
      ['mover', () => fx.deleteValues(sales, 'member', [dn]), 'groups -sales'],
      ['mover', async () => (dn = await fx.rename(dn, 'Dana Ünal-Weiß')), 'attributes changed'],
      ['leaver', () => fx.replace(dn, 'userAccountControl', [UAC_DISABLED]), 'account disabled'],
      ['rehire', () => fx.replace(dn, 'userAccountControl', [UAC_ENABLED]), 'account re-enabled'],
      ['leaver', () => fx.replace(dn, 'accountExpires', [PAST]), 'account disabled'],
      ['rehire', () => fx.replace(dn, 'accountExpires', [NEVER_EXPIRES]), 'account re-enabled'],
      // No presence scan runs within the hour: the tombstone proves the deletion.
      ['leaver', () => fx.remove(dn), 'entry deleted or out of scope'],
      ['rehire', () => fx.restore(dana, fx.personDn('Dana Restored')), 'back in directory'],
    ];
    for (const [i, [kind, change, reason]] of steps.entries()) {
      await change();
      const events = await h.waitForEvents(dana, i + 1);
      assert.equal(events[i]!.kind, kind, `step ${i + 1}: ${reason}`);
      assert.equal(events[i]!.reason, reason, `step ${i + 1}`);
      assert.equal(events[i]!.anchor, dana);
    }
    await pollsAfterNow(3);
    const all = await h.events(dana);
    assert.deepEqual(all.map((e) => `${e.kind}: ${e.reason}`), steps.map(([kind, , reason]) => `${kind}: ${reason}`));
    assert.equal(new Set(all.map((e) => e.eventId)).size, steps.length, 'every event has its own id');
    assert.equal(all.at(-1)!.person?.dn, fx.personDn('Dana Restored'));
    for (const username of ['ann', 'bo', 'erin']) assert.deepEqual(await h.events(await anchorOf(username)), [], `${username} is untouched`);
    assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch, null);
  });

  test('a person a lookup by anchor cannot find is not a leaver while a presence scan still sees them', async () => {
    const erin = await anchorOf('erin');
    const real = h.source.current;
    let lookedUp = 0;
    // The lookup that silently matched nobody: everything else reads the real DC.
    const findsNobody: DirectorySource = {
      getPerson: async (anchor) => {
        if (anchor === erin) lookedUp = Date.now();
        return null;
      },
      findPerson: (query) => real.findPerson(query),
      listPeople: () => real.listPeople(),
      listAnchors: () => real.listAnchors!(),
      currentCursor: () => real.currentCursor!(),
      groupMemberAnchors: (name) => real.groupMemberAnchors(name),
      changesSince: (cursor) => real.changesSince(cursor),
      close: async () => undefined,
    };
    h.source.current = findsNobody;
    try {
      await fx.deleteValues(fx.groupDn('sales'), 'member', [fx.personDn('Erin Base')]);
      await waitUntil('the watcher re-reading erin, a former member of sales', async () => lookedUp || undefined);
      await pollsAfterNow(2);
    } finally {
      h.source.current = real;
    }
    assert.deepEqual(await h.events(erin), [], 'no leaver for someone who is still there');
    assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch, null);
  });
}
