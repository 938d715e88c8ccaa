/**
 * The oracle: OpenText's own OTDS client, pyxecm (PyPI, pinned in scripts/pyxecm-requirements.txt,
 * installed into .tools/pyxecm-venv by scripts/pyxecm-venv.sh on first use), reads the OTDS
 * stand-in. If OpenText's client cannot read it, the stand-in is wrong, and so are tests built on it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../scripts/local-services';
import { startOtdsEmulator, type OtdsEmulator } from './support/otds-emulator';

const ADMIN = { userName: 'otadmin@otds.admin', password: 'oracle-admin-pw' };
const CLIENT = { clientId: 'pyxecm', clientSecret: 'oracle-client-secret' };
const PARTITION = 'Content Server Members';
let otds: OtdsEmulator;
let python: string;
let common: Record<string, unknown>;
const names = ['amy', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus'];

/** Runs one step of support/otds-oracle.py with the venv's python; arguments go in on stdin. */
async function oracle<T>(step: string, args: Record<string, unknown> = {}): Promise<T> {
  const child = spawn(python, [join(PROJECT_ROOT, 'test/directory/support/otds-oracle.py'), step], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  child.stdin.end(JSON.stringify({ ...common, ...args }));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(code, 0, `pyxecm step ${step} failed: ${err.slice(-2000)}`);
  return JSON.parse(out) as T;
}

before(async () => {
  // Creates the venv on a fresh clone (about 20 s), reuses it afterwards.
  const { stdout } = await promisify(execFile)('bash', [join(PROJECT_ROOT, 'scripts/pyxecm-venv.sh')], { timeout: 300_000 });
  python = stdout.trim();
  otds = await startOtdsEmulator({ admin: ADMIN, oauthClient: CLIENT });
  const ids = names.map((name) => otds.addUser({ name, partition: PARTITION, values: { mail: [`${name}@example.com`] } }));
  otds.addUser({ name: 'zed', partition: 'Elsewhere', values: {} });
  otds.setDisabled(ids[4]!, true);
  otds.addGroup('Sales', PARTITION, [ids[0]!, ids[1]!]);
  otds.addGroup('Support', PARTITION, [ids[2]!]);
  otds.addGroup('Staff', PARTITION, [`Sales@${PARTITION}`, `Support@${PARTITION}`]);
  const { port } = new URL(otds.baseUrl);
  common = { host: '127.0.0.1', port: Number(port), partition: PARTITION, pageSize: 3, username: ADMIN.userName, password: ADMIN.password };
});

after(async () => {
  await otds?.close();
});

interface ReadResult {
  ticket: string;
  pages: string[][];
  cookies: string[];
  iterated: string[];
  groups: string[];
  groupsHaveMore: boolean;
  user: { name: string; id: string; uuid: string; mail: string[]; memberOf: string[] } | null;
  disabled: { name: string; accountDisabled: string[] } | null;
  missing: unknown;
}

test('pyxecm authenticates, pages through users with opaque cookies, lists groups and reads users by name, a disabled one included', async () => {
  const result = await oracle<ReadResult>('read', { userName: 'amy', disabledUserName: 'eve' });
  assert.ok(result.ticket, 'a ticket from /authentication/credentials');
  assert.deepEqual(result.pages, [['amy', 'bob', 'cat'], ['dan', 'eve', 'fay'], ['gus']], 'three pages of page_size 3, nobody twice, the other partition left out');
  assert.equal(result.cookies.length, 2);
  for (const cookie of result.cookies) assert.match(cookie, /^[A-Za-z0-9+/]{22}==$/, 'opaque base64 cookies');
  assert.deepEqual(result.iterated, names, 'get_users_iterator follows the cookies to the end');
  const cookieRequests = otds.requests.filter((r) => r.includes('next_page_cookie='));
  assert.ok(cookieRequests.length >= 4 && cookieRequests.every((r) => r.includes('page_size=3')), 'pyxecm sent page_size and next_page_cookie');
  assert.deepEqual(result.groups, ['Sales', 'Staff', 'Support']);
  assert.equal(result.groupsHaveMore, false);
  assert.equal(result.user?.name, 'amy');
  assert.equal(result.user?.id, `amy@${PARTITION}`);
  assert.deepEqual(result.user?.mail, ['amy@example.com']);
  assert.equal(result.user?.memberOf.length, 1, 'amy is directly in Sales only');
  assert.match(result.user!.memberOf[0]!, /^oTGroup=[0-9a-f-]{36},dc=identity,dc=opentext,dc=net$/);
  assert.deepEqual(result.disabled, { name: 'eve', accountDisabled: ['true'] });
  assert.equal(result.missing, null, 'an unknown name is "not found" to pyxecm');
});

test('pyxecm renews a ticket the stand-in answers as expired (400, status 1034) and reads on', async () => {
  const { ticket } = await oracle<ReadResult>('read', { userName: 'amy', disabledUserName: 'eve' });
  otds.expireCredentials();
  const before = otds.requests.length;
  const result = await oracle<{ users: string[]; renewed: boolean }>('expired', { ticket });
  assert.deepEqual(result.users, ['amy', 'bob', 'cat']);
  assert.equal(result.renewed, true);
  assert.deepEqual(otds.requests.slice(before).map((r) => r.split('?')[0]), ['GET /otdsws/rest/users', 'POST /otdsws/rest/authentication/credentials', 'GET /otdsws/rest/users']);
});

test('pyxecm authenticates with OAuth2 client credentials and reads with the bearer token', async () => {
  const result = await oracle<{ token: boolean; users: string[] }>('oauth', { clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret });
  assert.equal(result.token, true);
  assert.deepEqual(result.users, names);
});
