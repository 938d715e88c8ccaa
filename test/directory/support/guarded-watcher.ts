/**
 * A real directory watcher hosting the mass-change guard over a fresh slapd subtree of `people`
 * people plus the operator `ops` (an enabled member of idsync-operators), polling fast, with the
 * recording person workflows of the watcher harness. Shared by the guard's tests.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Person } from '../../../domain/person';
import type { GuardConfig } from '../../../directory/config';
import { SEARCH_ATTRIBUTE_KEYS } from '../../../lib/search-attributes';
import { watcherStatusQuery, type WatcherStatus } from '../../../workflows/directory-watcher';
import { testEnv, uniqueId } from '../../support/env';
import { createLdapFixture, type LdapFixture } from './ldap-fixture';
import { startHarness, waitUntil, type WatcherHarness } from './watcher-harness';

export interface GuardedWatcher {
  fx: LdapFixture;
  h: WatcherHarness;
  watcher: WorkflowHandle;
  everyone: Person[];
}

export async function setupGuardedWatcher(
  cleanups: (() => Promise<void>)[],
  label: string,
  people: number,
  guard: Partial<GuardConfig> = {},
  watcher: { presenceScanInterval?: number } = {},
): Promise<GuardedWatcher> {
  const fx = await createLdapFixture(label);
  cleanups.push(() => fx.close());
  for (let i = 0; i < people; i++) await fx.addPerson(`p${i}`);
  await fx.addGroup('idsync-operators', [await fx.addPerson('ops')]);
  const h = await startHarness({
    taskQueue: uniqueId(label),
    directory: fx.config({ changeLookback: 1000 }),
    watcher: {
      pollInterval: 300,
      presenceScanInterval: watcher.presenceScanInterval ?? 600,
      fullScanInterval: 3_600_000,
      stateDir: testEnv.scratchDir(`${label}-state`),
      guard: { maxLeavers: 3, maxLeaverPercent: 100, minPeoplePercent: 50, minSnapshotForPercent: 1000, window: 15 * 60_000, rejectRecheckAfter: 24 * 3_600_000, operatorGroups: ['idsync-operators'], ...guard },
    },
  });
  cleanups.push(() => h.close());
  const handle = await h.startWatcher(uniqueId(`${label}-watcher`));
  await waitUntil('the baseline', async () => ((await handle.query(watcherStatusQuery)).generation ?? 0) >= 1 || undefined);
  const everyone: Person[] = [];
  for await (const p of h.source.listPeople()) if (p.username !== 'ops') everyone.push(p);
  return { fx, h, watcher: handle, everyone };
}

export async function guardState(watcher: WorkflowHandle): Promise<string | undefined> {
  const description = await watcher.describe();
  return description.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.guardState);
}

/** Waits until the watcher has polled for `ms` more. */
export async function pollsPass(watcher: WorkflowHandle, ms: number): Promise<WatcherStatus> {
  const start = (await watcher.query(watcherStatusQuery)).lastPollAt!;
  return waitUntil(`polls over ${ms} ms`, async () => {
    const s = await watcher.query(watcherStatusQuery);
    return s.lastPollAt && Date.parse(s.lastPollAt) - Date.parse(start) >= ms ? s : undefined;
  });
}
