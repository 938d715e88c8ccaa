/**
 * The watcher's group snapshot and the mass-change guard on group removals, poll by poll through
 * the real poller, guard and state files (a directory stand-in lists the groups, so each step is
 * exact): rename and member events, a held removal rejected ("not now"), judged again after
 * rejectRecheckAfter, leaving the batch when the group comes back, and released on approval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Person } from '../../domain/person';
import type { DirectoryGroup, DirectorySource } from '../../directory/source';
import { resolveWatcherConfig } from '../../directory/config';
import { WatcherStateStore } from '../../directory/watch/state-store';
import { pollOnce, type PollerDeps } from '../../directory/watch/poller';
import { decideBatch } from '../../directory/watch/guard';
import type { GroupEvent } from '../../directory/watch/types';
import type { AuditRecordInput } from '../../audit/types';
import { testEnv } from '../support/env';

const operator: Person = { anchor: 'p-ops', dn: 'uid=ops,ou=people,dc=x', username: 'ops', email: 'ops@example.com', enabled: true, groups: ['idsync-operators'], extra: {} };

function harness() {
  let groups: DirectoryGroup[] = [
    { anchor: 'g1', name: 'Deal Desk', memberAnchors: ['p-ops'] },
    { anchor: 'g2', name: 'Field Sales', memberAnchors: [] },
  ];
  let now = Date.parse('2026-11-30T10:00:00Z');
  const delivered: GroupEvent[] = [];
  const audit: AuditRecordInput[] = [];
  const source: DirectorySource = {
    getPerson: async (anchor) => (anchor === operator.anchor ? operator : null),
    findPerson: async () => operator,
    listPeople: async function* () {
      yield operator;
    },
    listAnchors: async function* () {
      yield operator.anchor;
    },
    currentCursor: async () => 'c1',
    groupMemberAnchors: async () => [],
    changesSince: async () => ({ changed: [], removedAnchors: [], cursor: 'c1' }),
    listGroups: async () => groups,
    close: async () => undefined,
  };
  const settings = resolveWatcherConfig({
    presenceScanInterval: 0,
    stateDir: testEnv.scratchDir('group-snapshot'),
    guard: { maxLeavers: 25, maxLeaverPercent: 5, minPeoplePercent: 50, minSnapshotForPercent: 50, window: 900_000, rejectRecheckAfter: 3_600_000, operatorGroups: ['idsync-operators'], sources: { groups: { maxLeavers: 0 } } },
  });
  const deps: PollerDeps = {
    source,
    store: new WatcherStateStore(settings.stateDir),
    settings,
    deliver: async () => undefined,
    deliverGroups: async (events) => void delivered.push(...events),
    audit: { append: async (r) => void audit.push(r) },
    eventSource: 'ldap',
    now: () => now,
  };
  let generation: number | null = null;
  return {
    delivered,
    audit,
    setGroups: (next: DirectoryGroup[]) => (groups = next),
    advance: (ms: number) => (now += ms),
    poll: async () => {
      // A second per poll: the presence scan (and with it the group scan) is due on every poll
      // however long the last one took (its spacing grows with the scan's real duration).
      now += 1000;
      const outcome = await pollOnce(deps, generation);
      generation = outcome.generation;
      return outcome;
    },
    decide: async (approve: boolean) => {
      const outcome = await decideBatch(deps, generation, { operator: 'ops', comment: 'test' }, approve);
      generation = outcome.generation;
      return outcome;
    },
  };
}

const kinds = (events: GroupEvent[]) => events.map((e) => `${e.kind} ${e.anchor}${e.previousName ? ` (was ${e.previousName})` : ''}`);

test('groups: silent baseline, rename and member events; a removal held, rejected, held again after the recheck period, gone from the batch when the group is back', async () => {
  const h = harness();
  await h.poll();
  assert.deepEqual(h.delivered, [], 'the baseline records the groups silently');

  h.setGroups([
    { anchor: 'g1', name: 'Deal Desk EMEA', memberAnchors: ['p-ops'] },
    { anchor: 'g2', name: 'Field Sales', memberAnchors: ['p-ops'] },
  ]);
  await h.poll();
  assert.deepEqual(kinds(h.delivered), ['renamed g1 (was Deal Desk)', 'membersChanged g2']);
  await h.poll();
  assert.equal(h.delivered.length, 2, 'an unchanged poll emits nothing');

  h.setGroups([{ anchor: 'g2', name: 'Field Sales', memberAnchors: ['p-ops'] }]);
  const held = await h.poll();
  assert.equal(held.pending?.sources?.groups, 1, 'held by the per-source limit of 0');
  assert.equal(h.delivered.length, 2, 'nothing delivered while held');
  assert.ok(h.audit.some((r) => r.action === 'guard-hold'));

  const rejected = await h.decide(false);
  assert.equal(rejected.refused, undefined);
  assert.equal(rejected.pending, null);
  await h.poll();
  assert.equal((await h.poll()).pending, null, 'a rejected removal is not held again at once');
  h.advance(3_600_000);
  const again = await h.poll();
  assert.equal(again.pending?.sources?.groups, 1, 'still gone after rejectRecheckAfter: held again');
  assert.match(again.pending!.reason, /rejected earlier/);

  h.setGroups([
    { anchor: 'g1', name: 'Deal Desk EMEA', memberAnchors: ['p-ops'] },
    { anchor: 'g2', name: 'Field Sales', memberAnchors: ['p-ops'] },
  ]);
  const back = await h.poll();
  assert.equal(back.pending, null, 'the group came back: nothing left to decide');
  assert.ok(h.audit.some((r) => r.action === 'guard-clear'));
  assert.equal(h.delivered.length, 2, 'a group that came back unchanged is no event');
});

test('groups: an approved removal is delivered once, and a return afterwards is a new appearance', async () => {
  const h = harness();
  await h.poll();
  h.setGroups([{ anchor: 'g1', name: 'Deal Desk', memberAnchors: ['p-ops'] }]);
  assert.equal((await h.poll()).pending?.sources?.groups, 1);
  const approved = await h.decide(true);
  assert.equal(approved.pending, null);
  assert.deepEqual(kinds(h.delivered), ['removed g2']);
  await h.poll();
  assert.equal(h.delivered.length, 1, 'released once');
  h.setGroups([
    { anchor: 'g1', name: 'Deal Desk', memberAnchors: ['p-ops'] },
    { anchor: 'g2', name: 'Field Sales', memberAnchors: [] },
  ]);
  await h.poll();
  assert.deepEqual(kinds(h.delivered), ['removed g2', 'appeared g2']);
  assert.notEqual(h.delivered[1]!.eventId, h.delivered[0]!.eventId);
});
