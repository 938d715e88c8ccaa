/** GroupState, the rules of a group workflow, as a plain class: ordering, repeats, links, retries, the end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupState } from '../../workflows/group-state';
import type { GroupEvent } from '../../directory/watch/types';

const event = (eventId: string, kind: GroupEvent['kind'], name = 'Deal Desk'): GroupEvent => ({ eventId, kind, anchor: 'g1', name, members: 1, observedAt: '2026-11-30T10:00:00Z', reason: kind });

test('events in order, each once; links remembered per target and dropped by a removal', () => {
  const group = new GroupState('g1', {});
  assert.equal(group.receive(event('e1', 'appeared')), true);
  assert.equal(group.receive(event('e1', 'appeared')), false, 'a repeat while queued');
  assert.equal(group.receive({ ...event('x', 'appeared'), anchor: 'other' }), false, 'another group’s event');
  const first = group.takeNext()!;
  assert.equal(group.receive(event('e1', 'appeared')), false, 'a repeat already applied');
  group.applied(first, 'sf', { groupId: '00G1', created: true, changes: 2 });
  assert.deepEqual(group.inputFor(event('e2', 'renamed', 'Deal Desk EMEA'), 'sf'), { target: 'sf', eventId: 'e2', kind: 'renamed', anchor: 'g1', name: 'Deal Desk EMEA', linkedId: '00G1', created: true });
  group.receive(event('e3', 'removed'));
  const removal = group.takeNext()!;
  group.applied(removal, 'sf', { changes: 1 });
  assert.deepEqual(group.data.links, {});
  assert.equal(group.finished, true);
});

test('a target that failed for a reason that may pass is retried on a growing back-off; a newer event replaces the retry', () => {
  const group = new GroupState('g1', {});
  group.receive(event('e1', 'removed'));
  const removal = group.takeNext()!;
  group.failed(removal, 'scim', 'SCIM answered 503');
  group.settle(removal, true, 0);
  assert.equal(group.finished, false, 'not done while the removal waits for its retry');
  assert.equal(group.takeDueRetry(59_999), undefined);
  assert.equal(group.takeDueRetry(60_000)?.eventId, 'e1');
  group.settle(removal, true, 60_000);
  assert.equal(group.data.retry?.dueAt, 60_000 + 300_000, 'second attempt after 5 min');
  group.receive(event('e2', 'appeared'));
  group.takeNext();
  assert.equal(group.data.retry, undefined, 'the newer event converges instead');
  group.settle(event('e2', 'appeared'), false, 70_000);
  assert.equal(group.data.retry, undefined);
});
