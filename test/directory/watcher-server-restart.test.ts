/**
 * The Temporal server itself goes away and comes back (same SQLite file, same port) while the
 * directory keeps changing: the watcher picks up where its history says it was, nothing changed
 * during the outage is missed and nothing sent before it is sent again. This file runs its own
 * dev server, because stopping the run's shared one would break every other test file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, startTemporalDevServer, type TemporalDevServer } from '../../scripts/local-services';
import { testEnv, uniqueId } from '../support/env';
import { createLdapFixture, type LdapFixture } from './support/ldap-fixture';
import { startHarness, waitUntil, type WatcherHarness } from './support/watcher-harness';
import { watcherStatusQuery } from '../../workflows/directory-watcher';

let fx: LdapFixture | undefined;
let h: WatcherHarness | undefined;
let server: TemporalDevServer | undefined;
const scratch = testEnv.scratchDir('server-restart');
let port: number;

function startServer(): Promise<TemporalDevServer> {
  return startTemporalDevServer({ port, dbFile: join(scratch, 'temporal.sqlite'), headless: true, logFile: join(scratch, 'temporal.log'), timeoutMs: 90_000 });
}

before(async () => {
  port = await freePort();
  server = await startServer();
});

after(async () => {
  await h?.close();
  await server?.stop();
  await fx?.close();
});

test('a Temporal server restart in the middle of directory changes misses nothing and repeats nothing', async () => {
  fx = await createLdapFixture('srvrestart');
  await fx.addPerson('steady');
  h = await startHarness({
    taskQueue: uniqueId('srvrestart'),
    directory: fx.config({ changeLookback: 1000 }),
    watcher: { pollInterval: 300, presenceScanInterval: 1000, fullScanInterval: 3_600_000, stateDir: join(scratch, 'watcher-state') },
    temporalAddress: server!.address,
  });
  const watcher = await h.startWatcher(uniqueId('srvrestart-watcher'));
  await waitUntil('the baseline poll', async () => ((await watcher.query(watcherStatusQuery)).generation ?? 0) >= 1 || undefined);

  const earlyDn = await fx.addPerson('early');
  const early = await waitUntil('early', async () => (await h!.source.findPerson({ username: 'early' })) ?? undefined);
  await h.waitForEvents(early.anchor, 1);

  await server!.stop();
  // While the server is down: a joiner and a mover happen in the directory.
  await fx.addPerson('during');
  await fx.replace(earlyDn, 'title', ['Promoted']);
  server = await startServer();

  const during = await waitUntil('during', async () => (await h!.source.findPerson({ username: 'during' })) ?? undefined);
  await h.waitForEvents(during.anchor, 1, 90_000);
  await h.waitForEvents(early.anchor, 2, 90_000);
  // Let the watcher poll a few more times: a replayed or repeated poll would show up as extra events.
  const generation = (await watcher.query(watcherStatusQuery)).generation ?? 0;
  await waitUntil('three more polls', async () => ((await watcher.query(watcherStatusQuery)).generation ?? 0) >= generation + 3 || undefined);
  assert.deepEqual((await h.events(early.anchor)).map((e) => e.kind), ['joiner', 'mover']);
  assert.deepEqual((await h.events(during.anchor)).map((e) => e.kind), ['joiner']);
  const steady = await h.source.findPerson({ username: 'steady' });
  assert.deepEqual(await h.events(steady!.anchor), [], 'the baseline stays silent');
});
