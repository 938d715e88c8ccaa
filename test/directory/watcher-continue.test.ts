import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, uniqueId } from '../support/env';
import { createLdapFixture, type LdapFixture } from './support/ldap-fixture';
import { startHarness, waitUntil, type WatcherHarness } from './support/watcher-harness';
import { watcherStatusQuery } from '../../workflows/directory-watcher';

let fx: LdapFixture | undefined;
let h: WatcherHarness | undefined;
after(async () => {
  await h?.close();
  await fx?.close();
});

test('the watcher continues as new every few polls, carrying only the generation, and still sends each change once', async () => {
  fx = await createLdapFixture('cont');
  await fx.addPerson('keep');
  h = await startHarness({
    taskQueue: uniqueId('cont'),
    directory: fx.config({ changeLookback: 1000 }),
    watcher: { pollInterval: 200, pollsPerRun: 2, presenceScanInterval: 1000, fullScanInterval: 3_600_000, stateDir: testEnv.scratchDir('cont-state') },
  });
  const watcher = await h.startWatcher(uniqueId('cont-watcher'));
  const firstRun = (await watcher.describe()).runId;
  await waitUntil('a continue-as-new', async () => ((await watcher.describe()).runId !== firstRun ? true : undefined));
  const history = await h.client.workflow.getHandle(watcher.workflowId).fetchHistory();
  assert.ok((history.events ?? []).length < 200, 'each run keeps a short history');

  const dn = await fx.addPerson('newcomer');
  const newcomer = await waitUntil('newcomer', async () => (await h!.source.findPerson({ username: 'newcomer' })) ?? undefined);
  await h.waitForEvents(newcomer.anchor, 1);
  await fx.replace(dn, 'title', ['Lead']);
  await h.waitForEvents(newcomer.anchor, 2);
  const runsSeen = new Set<string>();
  await waitUntil('two more runs', async () => {
    runsSeen.add((await watcher.describe()).runId);
    return runsSeen.size >= 3 ? true : undefined;
  });
  assert.deepEqual((await h.events(newcomer.anchor)).map((e) => e.kind), ['joiner', 'mover']);
  const status = await watcher.query(watcherStatusQuery);
  assert.ok((status.generation ?? 0) >= 3, 'the generation carried across runs');
  assert.ok(status.lastPollAt);
});
