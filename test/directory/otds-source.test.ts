import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDirectorySource } from '../../directory';
import { directoryConfigSchema, resolveWatcherConfig } from '../../directory/config';
import type { DirectorySource } from '../../directory/source';
import { WatcherStateStore } from '../../directory/watch/state-store';
import { pollOnce, type PollerDeps } from '../../directory/watch/poller';
import type { IdentityEvent, Person } from '../../domain/person';
import { testEnv } from '../support/env';
import { startOtdsEmulator, type OtdsEmulator } from './support/otds-emulator';

const env = { OTDS_TEST_PASSWORD: 'otds-admin-pw' };
let otds: OtdsEmulator;
let source: DirectorySource;
const ids: Record<string, string> = {};

function open(overrides: Record<string, unknown> = {}): DirectorySource {
  const config = directoryConfigSchema.parse({
    kind: 'otds',
    baseUrl: otds.baseUrl,
    username: 'otadmin@otds.admin',
    passwordEnv: 'OTDS_TEST_PASSWORD',
    partition: 'Corp',
    pageSize: 2,
    ...overrides,
  });
  return createDirectorySource(config, env);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

before(async () => {
  otds = await startOtdsEmulator({ userName: 'otadmin@otds.admin', password: env.OTDS_TEST_PASSWORD });
  for (const name of ['ana', 'ben', 'cy', 'dee', 'eli']) {
    ids[name] = otds.addUser({ name, partition: 'Corp', values: { mail: [`${name}@corp.example`], givenName: [name.toUpperCase()], oTDepartment: ['Ops'] } });
  }
  ids.outsider = otds.addUser({ name: 'outsider', partition: 'Partners', values: {} });
  otds.setValue(ids.dee!, 'ds-pwp-account-disabled', ['true']);
  const ops = otds.addGroup('ops', 'Corp', [ids.ana!, ids.ben!]);
  const staff = otds.addGroup('staff', 'Corp', [ops, ids.cy!]);
  otds.addGroup('company', 'Corp', [staff]);
  source = open();
});

after(async () => {
  await source?.close();
  await otds?.close();
});

test('lists a partition through cookie paging with nested group names and the disabled flag', async () => {
  const people = await collect(source.listPeople());
  assert.deepEqual(people.map((p) => p.username).sort(), ['ana', 'ben', 'cy', 'dee', 'eli'], 'the Partners partition is out of scope');
  assert.ok(otds.requests.some((r) => r.includes('page_cookie=2')), 'more than one page was requested');
  const ana = people.find((p) => p.username === 'ana')!;
  assert.equal(ana.email, 'ana@corp.example');
  assert.equal(ana.givenName, 'ANA');
  assert.equal(ana.department, 'Ops');
  assert.deepEqual(ana.groups, ['company', 'ops', 'staff']);
  assert.equal(people.find((p) => p.username === 'dee')!.enabled, false);
  assert.deepEqual(await source.groupMemberAnchors('company'), people.filter((p) => ['ana', 'ben', 'cy'].includes(p.username)).map((p) => p.anchor).sort());
  const byMail = await source.findPerson({ email: 'ELI@corp.example' });
  assert.equal(byMail?.username, 'eli');
  assert.deepEqual(await source.getPerson(ana.anchor), ana);
});

test('an expired ticket is renewed once; wrong credentials fail as PermissionDenied without echoing the password', async () => {
  otds.expireTickets();
  assert.equal((await source.findPerson({ username: 'ben' }))?.username, 'ben');
  const wrong = createDirectorySource(
    directoryConfigSchema.parse({ kind: 'otds', baseUrl: otds.baseUrl, username: 'otadmin@otds.admin', passwordEnv: 'OTDS_TEST_PASSWORD' }),
    { OTDS_TEST_PASSWORD: 'not-the-password' },
  );
  await assert.rejects(collect(wrong.listPeople()), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'PermissionDenied');
    assert.ok(!err.message.includes('not-the-password'));
    return true;
  });
});

test('the watcher logic classifies OTDS changes (no change cursor: full reads, only real differences become events)', async () => {
  const delivered: IdentityEvent[] = [];
  const deps: PollerDeps = {
    source,
    store: new WatcherStateStore(testEnv.scratchDir('otds-state')),
    settings: resolveWatcherConfig({ presenceScanInterval: 0, fullScanInterval: 3_600_000 }),
    deliver: async (events) => void delivered.push(...events),
    audit: { append: async () => undefined },
    eventSource: 'otds',
  };
  let outcome = await pollOnce(deps, null);
  assert.equal(delivered.length, 0, 'silent baseline');
  const cy = await source.findPerson({ username: 'cy' });
  otds.addUser({ name: 'fio', partition: 'Corp', values: { mail: ['fio@corp.example'] } });
  otds.setValue(ids.eli!, 'oTDepartment', ['Finance']);
  otds.removeUser(ids.cy!);
  outcome = await pollOnce(deps, outcome.generation);
  const summary = (e: IdentityEvent) => `${e.kind}:${(e.person as Person | undefined)?.username ?? e.anchor}`;
  assert.deepEqual(delivered.map(summary).filter((s) => !s.startsWith('leaver')).sort(), ['joiner:fio', 'mover:eli']);
  const leavers = delivered.filter((e) => e.kind === 'leaver');
  assert.deepEqual(leavers.map((e) => [e.anchor, e.reason, e.source]), [[cy!.anchor, 'entry deleted or out of scope', 'otds']]);
  const before = delivered.length;
  await pollOnce(deps, outcome.generation);
  assert.equal(delivered.length, before, 'a quiet poll sends nothing');
});
