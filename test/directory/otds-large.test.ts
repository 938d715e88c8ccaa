/**
 * A big OTDS directory through idsync's own source: 10,000 users read completely (no loop, no
 * truncation), the cost per page reported, and the watcher's leavers after a full read exactly the
 * users deleted in OTDS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDirectorySource } from '../../directory';
import { directoryConfigSchema, resolveWatcherConfig } from '../../directory/config';
import type { OtdsDirectorySource } from '../../directory/otds/source';
import { WatcherStateStore } from '../../directory/watch/state-store';
import { pollOnce, type PollerDeps } from '../../directory/watch/poller';
import type { IdentityEvent } from '../../domain/person';
import { testEnv } from '../support/env';
import { startOtdsEmulator, type OtdsEmulator } from './support/otds-emulator';

const USERS = 10_000;
const PAGE_SIZE = 250;
const ADMIN = { userName: 'otadmin@otds.admin', password: 'large-directory-pw' };
let otds: OtdsEmulator;
let source: OtdsDirectorySource;
const userIds: string[] = [];

before(async () => {
  otds = await startOtdsEmulator({ admin: ADMIN });
  for (let i = 0; i < USERS; i++) {
    const name = `user${String(i).padStart(5, '0')}`;
    userIds.push(otds.addUser({ name, partition: 'Staff', values: { mail: [`${name}@example.com`], givenName: [`Given${i}`], sn: [`Family${i}`], oTDepartment: [`Dept${i % 20}`] } }));
  }
  const departments = Array.from({ length: 20 }, (_, d) => otds.addGroup(`dept-${d}`, 'Staff', userIds.filter((_, i) => i % 20 === d)));
  otds.addGroup('everyone', 'Staff', departments);
  const config = directoryConfigSchema.parse({ kind: 'otds', baseUrl: otds.baseUrl, username: ADMIN.userName, passwordEnv: 'OTDS_LARGE_PASSWORD', partition: 'Staff', pageSize: PAGE_SIZE });
  source = createDirectorySource(config, { OTDS_LARGE_PASSWORD: ADMIN.password }) as OtdsDirectorySource;
});

after(async () => {
  await source?.close();
  await otds?.close();
});

const userPages = () => otds.requests.filter((r) => r.startsWith('GET /otdsws/rest/users?'));

test('10,000 OTDS users are read completely: every page once, nobody twice, nobody missing', async (t) => {
  const firstRequest = otds.requests.length;
  const started = process.hrtime.bigint();
  const anchors = new Set<string>();
  let people = 0;
  let withGroups = 0;
  for await (const person of source.listPeople()) {
    people++;
    anchors.add(person.anchor);
    if (person.groups.length === 2) withGroups++;
  }
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const pages = otds.requests.slice(firstRequest).filter((r) => r.startsWith('GET /otdsws/rest/users?'));
  assert.equal(people, USERS, 'no truncation');
  assert.equal(anchors.size, USERS, 'nobody twice');
  assert.equal(withGroups, USERS, 'everyone in a department group and, through it, in everyone');
  assert.equal(pages.length, USERS / PAGE_SIZE, 'one request per page, no loop');
  const cookies = pages.map((r) => new URL(r.slice(4), 'http://x').searchParams.get('next_page_cookie')).filter((c): c is string => c !== null);
  assert.equal(new Set(cookies).size, pages.length - 1, 'every cookie used exactly once');
  const requests = otds.requests.length - firstRequest;
  assert.equal(requests, pages.length + 2, 'besides the user pages only the authentication and one group page');
  t.diagnostic(`OTDS full read: ${USERS} users, ${pages.length} pages of ${PAGE_SIZE}, ${requests} requests, ${elapsedMs.toFixed(0)} ms in all, ${(elapsedMs / pages.length).toFixed(1)} ms per page (stand-in + mapping)`);
});

test('after a full read the watcher\'s leavers are exactly the users deleted in OTDS', async () => {
  const delivered: IdentityEvent[] = [];
  const deps: PollerDeps = {
    source,
    store: new WatcherStateStore(testEnv.scratchDir('otds-large')),
    // Every poll a full read; a guard loose enough that this deliberate deletion is not held.
    settings: resolveWatcherConfig({ presenceScanInterval: 0, fullScanInterval: 0, guard: { maxLeavers: 1000, maxLeaverPercent: 100, minPeoplePercent: 50, minSnapshotForPercent: 50, window: 60_000, rejectRecheckAfter: 3_600_000, operatorGroups: ['ops'] } }),
    deliver: async (events) => void delivered.push(...events),
    audit: { append: async () => undefined },
    eventSource: 'otds',
  };
  const baseline = await pollOnce(deps, null);
  assert.equal(baseline.people, USERS);
  assert.equal(delivered.length, 0, 'silent baseline');
  const anchorOf = new Map<string, string>();
  for await (const person of source.listPeople()) anchorOf.set(person.username, person.anchor);
  const deleted = userIds.filter((_, i) => i % 271 === 7); // 37 users spread over every page range
  for (const id of deleted) otds.removeUser(id);
  const pagesBefore = userPages().length;
  const outcome = await pollOnce(deps, baseline.generation);
  assert.ok(userPages().length > pagesBefore, 'the poll read OTDS again');
  assert.equal(outcome.people, USERS - deleted.length);
  const expected = deleted.map((id) => anchorOf.get(id.split('@')[0]!)!).sort();
  assert.deepEqual(delivered.filter((e) => e.kind === 'leaver').map((e) => e.anchor).sort(), expected);
  assert.deepEqual(delivered.filter((e) => e.kind !== 'leaver'), [], 'nobody else changed');
});
