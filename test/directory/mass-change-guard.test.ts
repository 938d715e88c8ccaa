/** The guard's counting rules on plain state: totals and per-source limits over the sliding window. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveWatcherConfig } from '../../directory/config';
import { guardReason, windowAfterRelease } from '../../directory/watch/guard';
import { emptyState, type WatcherState } from '../../directory/watch/types';

const NOW = '2026-11-30T12:00:00.000Z';
const minutesAgo = (m: number) => new Date(Date.parse(NOW) - m * 60_000).toISOString();

/** The config file's guard section: every key optional, defaults filled in as when the file is loaded. */
const settingsWith = (guard: Record<string, unknown>) => resolveWatcherConfig({ guard } as never);

function stateWith(active: number, released: WatcherState['released'] = []): WatcherState {
  const state = emptyState(1);
  for (let i = 0; i < active; i++) state.people[`a${i}`] = { fp: 'x', enabled: true, v: 0, groups: [] };
  return { ...state, released };
}

test('every source counts against the same total over the window; what left the window no longer counts', () => {
  const settings = settingsWith({ maxLeavers: 10, maxLeaverPercent: 100 });
  const state = stateWith(1000, [
    { at: minutesAgo(20), count: 9, source: 'watcher' },
    { at: minutesAgo(10), count: 4, source: 'watcher' },
    { at: minutesAgo(5), count: 4, source: 'intake' },
  ]);
  assert.equal(guardReason(settings, state, 'reconcile', 2, NOW), null, '8 in the window + 2 = 10, at the limit');
  assert.equal(
    guardReason(settings, state, 'reconcile', 3, NOW),
    '11 corrections and suspensions within 15 min (8 already released, 3 in this reconciliation run) exceed the limit of 10',
  );
  assert.equal(guardReason(settings, stateWith(1000), 'watcher', 11, NOW), '11 leavers in one poll exceed the limit of 10');
});

test('percentages count the people before the window\'s releases, from minSnapshotForPercent on', () => {
  const settings = settingsWith({ maxLeavers: 1000, maxLeaverPercent: 5, minSnapshotForPercent: 50 });
  const state = stateWith(95, [{ at: minutesAgo(1), count: 5, source: 'watcher' }]);
  assert.match(guardReason(settings, state, 'intake', 1, NOW) ?? '', /6 leavers within 15 min .* are more than 5% of 100 active people/);
  assert.equal(guardReason(settings, stateWith(40), 'intake', 10, NOW), null, 'tiny directories are judged by the absolute limit only');
});

test('a per-source limit is tighter than the total and counts only that source', () => {
  const settings = settingsWith({ maxLeavers: 50, maxLeaverPercent: 100, sources: { intake: { maxLeavers: 2 } } });
  const state = stateWith(1000, [
    { at: minutesAgo(1), count: 30, source: 'watcher' },
    { at: minutesAgo(1), count: 2, source: 'intake' },
  ]);
  assert.equal(guardReason(settings, state, 'watcher', 5, NOW), null);
  assert.equal(guardReason(settings, state, 'intake', 1, NOW), '3 leavers from the intake within 15 min (2 already released, 1 in this intake request) exceed the limit of 2');
  assert.deepEqual(windowAfterRelease(state, settings.guard, 'intake', 1, NOW).at(-1), { at: NOW, count: 1, source: 'intake' });
});

test('a scan that shrank below minPeoplePercent holds whatever the counts', () => {
  const settings = settingsWith({ maxLeavers: 1000 });
  assert.match(guardReason(settings, stateWith(100), 'watcher', 1, NOW, 40) ?? '', /directory returned 40 people, last snapshot had 100/);
});

test('config: an unknown source or limit is refused, naming its path', () => {
  assert.throws(() => resolveWatcherConfig({ guard: { sources: { hr: { maxLeavers: 1 } } } } as never), /hr/);
  assert.throws(() => resolveWatcherConfig({ guard: { sources: { intake: { maxLeaver: 1 } } } } as never), /maxLeaver/);
});
