import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDirectorySource } from '../../directory';
import { directoryConfigSchema, resolveWatcherConfig } from '../../directory/config';
import type { DirectorySource } from '../../directory/source';
import type { OtdsDirectorySource } from '../../directory/otds/source';
import { WatcherStateStore } from '../../directory/watch/state-store';
import { pollOnce, type PollerDeps } from '../../directory/watch/poller';
import type { IdentityEvent, Person } from '../../domain/person';
import { testEnv } from '../support/env';
import { startOtdsEmulator, type OtdsEmulator } from './support/otds-emulator';

const ADMIN = { userName: 'otadmin@otds.admin', password: 'otds-admin-pw' };
const CLIENT = { clientId: 'idsync', clientSecret: 'otds-client-secret' };
const env = { OTDS_TEST_PASSWORD: ADMIN.password, OTDS_TEST_CLIENT_SECRET: CLIENT.clientSecret };
let otds: OtdsEmulator;
let source: DirectorySource;
const ids: Record<string, string> = {};

function open(overrides: Record<string, unknown> = {}, emulator = otds, environment: NodeJS.ProcessEnv = env): OtdsDirectorySource {
  const config = directoryConfigSchema.parse({
    kind: 'otds',
    baseUrl: emulator.baseUrl,
    username: ADMIN.userName,
    passwordEnv: 'OTDS_TEST_PASSWORD',
    partition: 'Corp',
    pageSize: 2,
    ...overrides,
  });
  return createDirectorySource(config, environment) as OtdsDirectorySource;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const userListRequests = (emulator: OtdsEmulator) => emulator.requests.filter((r) => r.startsWith('GET /otdsws/rest/users?'));

async function seed(emulator: OtdsEmulator, into: Record<string, string>): Promise<void> {
  for (const name of ['ana', 'ben', 'cy', 'dee', 'eli']) {
    into[name] = emulator.addUser({ name, partition: 'Corp', values: { mail: [`${name}@corp.example`], givenName: [name.toUpperCase()], oTDepartment: ['Ops'] } });
  }
  into.outsider = emulator.addUser({ name: 'outsider', partition: 'Partners', values: {} });
  emulator.setDisabled(into.dee!, true);
  const ops = emulator.addGroup('ops', 'Corp', [into.ana!, into.ben!]);
  const staff = emulator.addGroup('staff', 'Corp', [ops, into.cy!]);
  emulator.addGroup('company', 'Corp', [staff]);
}

before(async () => {
  otds = await startOtdsEmulator({ admin: ADMIN, oauthClient: CLIENT });
  await seed(otds, ids);
  source = open();
});

after(async () => {
  await source?.close();
  await otds?.close();
});

test('lists a partition page by page with opaque cookies, groups from oTMemberOf and the disabled state from accountDisabled', async () => {
  const people = await collect(source.listPeople());
  assert.deepEqual(people.map((p) => p.username).sort(), ['ana', 'ben', 'cy', 'dee', 'eli'], 'the Partners partition is out of scope');
  const pages = userListRequests(otds).map((r) => new URL(r.slice(4), 'http://x').searchParams);
  assert.equal(pages.length, 3, 'five users at page_size=2 are three pages, each asked for once');
  for (const query of pages) {
    assert.equal(query.get('page_size'), '2');
    assert.equal(query.get('where_partition_name'), 'Corp');
    assert.equal(query.has('limit'), false, 'OTDS has no limit parameter; idsync never sends one');
  }
  assert.equal(pages[0]!.has('next_page_cookie'), false);
  assert.match(pages[1]!.get('next_page_cookie')!, /^[A-Za-z0-9+/]+=*$/, 'the cookie is the server\'s opaque base64 text');
  assert.ok(userListRequests(otds).every((r) => !/next_page_cookie=[^&]*[+/=]/.test(r)), 'the cookie\'s +, / and = travel URL-encoded');
  const ana = people.find((p) => p.username === 'ana')!;
  assert.equal(ana.email, 'ana@corp.example');
  assert.equal(ana.givenName, 'ANA');
  assert.equal(ana.department, 'Ops');
  assert.deepEqual(ana.groups, ['company', 'ops', 'staff']);
  assert.ok(!otds.requests.some((r) => r.includes('/memberof')), 'oTMemberOf made per-person memberof requests unnecessary');
  assert.equal(people.find((p) => p.username === 'dee')!.enabled, false);
  assert.equal(ana.enabled, true);
  assert.deepEqual(await source.groupMemberAnchors('company'), people.filter((p) => ['ana', 'ben', 'cy'].includes(p.username)).map((p) => p.anchor).sort());
  assert.equal((await source.findPerson({ email: 'ELI@corp.example' }))?.username, 'eli');
  assert.deepEqual(await source.getPerson(ana.anchor), ana);
  const before = otds.requests.length;
  assert.equal((await source.findPerson({ username: 'ben' }))?.username, 'ben');
  assert.ok(otds.requests.slice(before).includes('GET /otdsws/rest/users/ben%40Corp'), 'a name is read directly as name@partition');
  assert.ok(!otds.requests.slice(before).some((r) => r.startsWith('GET /otdsws/rest/users?')), 'no scan for a name OTDS knows');
});

test('an expired ticket (400, status 1034) or a 401 is renewed once; wrong credentials are PermissionDenied without the password', async () => {
  const fresh = open();
  await collect(fresh.listAnchors());
  otds.expireCredentials();
  const before = fresh.client.stats.authentications;
  assert.equal((await fresh.findPerson({ username: 'ben' }))?.username, 'ben');
  assert.equal(fresh.client.stats.authentications, before + 1, 'one new ticket');
  assert.ok(otds.requests.includes('POST /otdsws/rest/authentication/credentials'));
  const wrong = open({}, otds, { OTDS_TEST_PASSWORD: 'not-the-password' });
  await assert.rejects(collect(wrong.listPeople()), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'PermissionDenied');
    assert.match(err.message, /otadmin@otds\.admin/);
    assert.match(err.message, /Invalid username or password/, 'the error body of OTDS is understood');
    assert.ok(!err.message.includes('not-the-password'));
    return true;
  });
});

test('OAuth2 client credentials: a bearer token from /otdsws/oauth2/token, renewed on 401; a wrong secret is named by client id only', async () => {
  const oauth = open({ username: undefined, passwordEnv: undefined, oauth2: { clientId: CLIENT.clientId, clientSecretEnv: 'OTDS_TEST_CLIENT_SECRET' } });
  assert.equal((await collect(oauth.listAnchors())).length, 5);
  assert.ok(otds.requests.includes('POST /otdsws/oauth2/token'));
  otds.expireCredentials();
  assert.equal((await oauth.findPerson({ email: 'ana@corp.example' }))?.username, 'ana');
  assert.equal(oauth.client.stats.authentications, 2);
  const wrong = open({ username: undefined, passwordEnv: undefined, oauth2: { clientId: CLIENT.clientId, clientSecretEnv: 'OTDS_TEST_CLIENT_SECRET' } }, otds, { OTDS_TEST_CLIENT_SECRET: 'wrong-secret-value' });
  await assert.rejects(collect(wrong.listAnchors()), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'PermissionDenied');
    assert.match(err.message, /OAuth2 client idsync/);
    assert.ok(!err.message.includes('wrong-secret-value') && !err.message.includes(CLIENT.clientSecret));
    return true;
  });
});

test('configuration: one authentication, not both and not none', () => {
  const base = { kind: 'otds', baseUrl: 'https://otds.example.com' };
  const problems = (raw: Record<string, unknown>) => {
    const result = directoryConfigSchema.safeParse({ ...base, ...raw });
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(problems({ username: 'svc', passwordEnv: 'OTDS_PASSWORD' }), []);
  assert.deepEqual(problems({ oauth2: { clientId: 'idsync', clientSecretEnv: 'OTDS_SECRET' } }), []);
  assert.deepEqual(problems({ username: 'svc', passwordEnv: 'P', oauth2: { clientId: 'idsync', clientSecretEnv: 'S' } }), ['oauth2: choose one authentication: username + passwordEnv, or oauth2']);
  assert.deepEqual(problems({}), ['username: required (or configure oauth2 client credentials instead)', 'passwordEnv: required (or configure oauth2 client credentials instead)']);
});

test('state "enabled" asks OTDS for enabled users only (where_state); OTDS error bodies name the problem', async () => {
  const enabledOnly = open({ state: 'enabled', pageSize: 10 });
  const before = otds.requests.length;
  const people = await collect(enabledOnly.listPeople());
  assert.deepEqual(people.map((p) => p.username).sort(), ['ana', 'ben', 'cy', 'eli']);
  assert.ok(otds.requests.slice(before).some((r) => r.startsWith('GET /otdsws/rest/users?') && r.includes('where_state=enabled')));
  await assert.rejects(enabledOnly.client.get('/otdsws/rest/users', { where_state: 'asleep' }, 'user list'), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'ConfigError');
    assert.match(err.message, /OTDS user list answered HTTP 400 \(status 1006: Invalid where_state\)/);
    return true;
  });
});

test('a server fault is retryable without echoing its page; a cookie handed out twice stops the read instead of looping', async () => {
  const fresh = open({ pageSize: 2 });
  await collect(fresh.listAnchors());
  otds.faults.nextAnswer = { status: 503, contentType: 'text/html', body: '<html><body>Service Unavailable password=hunter2</body></html>' };
  await assert.rejects(collect(fresh.listAnchors()), (err: Error & { type?: string; nonRetryable?: boolean }) => {
    assert.equal(err.type, 'DirectoryUnavailable');
    assert.equal(err.nonRetryable, false);
    assert.match(err.message, /OTDS user list answered HTTP 503/);
    assert.ok(!err.message.includes('hunter2'), 'secret-looking text is redacted');
    return true;
  });
  otds.faults.nextAnswer = { status: 400, contentType: 'application/json', body: JSON.stringify({ status: 1010, error: 'Partition not found', errorDetails: { internal: 'stack trace' } }) };
  await assert.rejects(collect(fresh.listAnchors()), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'ConfigError');
    assert.match(err.message, /\(status 1010: Partition not found\)/);
    assert.ok(!err.message.includes('stack trace'), 'errorDetails are not repeated');
    return true;
  });
  otds.faults.repeatCookie = true;
  try {
    const before = userListRequests(otds).length;
    await assert.rejects(collect(fresh.listAnchors()), /returned a page cookie it had already returned; paging stopped instead of looping/);
    assert.equal(userListRequests(otds).length - before, 2, 'the second page handing out the same cookie again is noticed at once');
  } finally {
    otds.faults.repeatCookie = false;
  }
});

test('entries without oTMemberOf: membership from their memberof lists instead', async () => {
  const bare = await startOtdsEmulator({ admin: ADMIN, omitMemberOf: true });
  try {
    const local: Record<string, string> = {};
    await seed(bare, local);
    const people = await collect(open({}, bare).listPeople());
    assert.deepEqual(people.find((p) => p.username === 'ana')!.groups, ['company', 'ops', 'staff']);
    assert.deepEqual(people.find((p) => p.username === 'eli')!.groups, []);
    assert.ok(bare.requests.some((r) => r.startsWith('GET /otdsws/rest/users/ana%40Corp/memberof')));
  } finally {
    await bare.close();
  }
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
  const ben = await source.findPerson({ username: 'ben' });
  otds.addUser({ name: 'fio', partition: 'Corp', values: { mail: ['fio@corp.example'] } });
  otds.setValue(ids.eli!, 'oTDepartment', ['Finance']);
  otds.setDisabled(ids.ben!, true);
  otds.removeUser(ids.cy!);
  outcome = await pollOnce(deps, outcome.generation);
  const summary = (e: IdentityEvent) => `${e.kind}:${(e.person as Person | undefined)?.username ?? e.anchor}`;
  assert.deepEqual(delivered.map(summary).filter((s) => !s.startsWith('leaver')).sort(), ['joiner:fio', 'mover:eli']);
  const leavers = delivered.filter((e) => e.kind === 'leaver').map((e) => [e.anchor, e.source]);
  assert.deepEqual(leavers.sort(), [[ben!.anchor, 'otds'], [cy!.anchor, 'otds']].sort(), 'deleted and disabled in OTDS both leave');
  const count = delivered.length;
  await pollOnce(deps, outcome.generation);
  assert.equal(delivered.length, count, 'a quiet poll sends nothing');
});
