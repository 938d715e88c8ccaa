import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScimStore, STORE_FILE } from '../../inbound/scim/store';
import { testEnv } from '../support/env';
import { ENTERPRISE, GROUP_SCHEMA, PATCH_OP, USER_SCHEMA, scim, startEndpoint, user, type Endpoint } from './scim-support';

const endpoints: Endpoint[] = [];
after(async () => {
  for (const e of endpoints) await e.close().catch(() => undefined);
});

async function endpoint(label: string): Promise<Endpoint> {
  const e = await startEndpoint(label);
  endpoints.push(e);
  return e;
}

test('bad input gets the SCIM error RFC 7644 §3.12 names and leaves the store byte for byte unchanged', async () => {
  const e = await endpoint('scim-bad-input');
  const base = e.server.url;
  const created = await scim(base, 'POST', '/Users', user('ada'));
  assert.equal(created.status, 201);
  const before = e.log();

  const unauthorised = await fetch(`${base}/Users`, { method: 'POST', headers: { authorization: 'Bearer wrong-token-wrong-token' }, body: JSON.stringify(user('eve')) });
  assert.equal(unauthorised.status, 401);
  assert.equal(((await unauthorised.json()) as { schemas: string[] }).schemas[0], 'urn:ietf:params:scim:api:messages:2.0:Error');
  assert.equal((await fetch(`${base}/Users`)).status, 401, 'no token at all');

  const cases: [string, () => Promise<{ status: number; body: { scimType?: string } }>, number, string | undefined][] = [
    ['malformed JSON', () => scim(base, 'POST', '/Users', '{"userName": '), 400, 'invalidSyntax'],
    ['a body that is not an object', () => scim(base, 'POST', '/Users', '[1,2]'), 400, 'invalidSyntax'],
    ['an unknown attribute', () => scim(base, 'POST', '/Users', user('bob', { shoeSize: '44' })), 400, 'invalidValue'],
    ['an unknown sub-attribute', () => scim(base, 'POST', '/Users', user('bob', { name: { nick: 'b' } })), 400, 'invalidValue'],
    ['a wrong type', () => scim(base, 'POST', '/Users', user('bob', { active: 'yes' })), 400, 'invalidValue'],
    ['a single value for a multi-valued attribute', () => scim(base, 'POST', '/Users', user('bob', { emails: { value: 'b@example.com' } })), 400, 'invalidValue'],
    ['no userName', () => scim(base, 'POST', '/Users', { schemas: [USER_SCHEMA] }), 400, 'invalidValue'],
    ['an unknown schema', () => scim(base, 'POST', '/Users', { ...user('bob'), schemas: [USER_SCHEMA, 'urn:example:x'] }), 400, 'invalidValue'],
    ['a duplicate userName in another case', () => scim(base, 'POST', '/Users', user('ADA')), 409, 'uniqueness'],
    ['an oversized body', () => scim(base, 'POST', '/Users', user('bob', { displayName: 'x'.repeat(100 * 1024) })), 413, undefined],
    ['an unsupported filter', () => scim(base, 'GET', `/Users?filter=${encodeURIComponent('userName co "a"')}`), 400, 'invalidFilter'],
    ['a filter joined by or', () => scim(base, 'GET', `/Users?filter=${encodeURIComponent('userName eq "a" or userName eq "b"')}`), 400, 'invalidFilter'],
    ['a filter on an attribute not offered', () => scim(base, 'GET', `/Users?filter=${encodeURIComponent('title eq "a"')}`), 400, 'invalidFilter'],
    ['an unknown id', () => scim(base, 'GET', '/Users/no-such-id'), 404, undefined],
    ['a PUT of an unknown id', () => scim(base, 'PUT', '/Users/no-such-id', user('bob')), 404, undefined],
    ['a group member that does not exist', () => scim(base, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'g', members: [{ value: 'nobody' }] }), 400, 'invalidValue'],
  ];
  for (const [what, call, status, scimType] of cases) {
    const answer = await call();
    assert.equal(answer.status, status, what);
    assert.equal(answer.body.scimType, scimType, what);
    if (status !== 413) assert.equal((answer.body as { status?: string }).status, String(status), `${what}: status in the error body`);
  }
  const id = created.body.id!;
  const renamed = await scim(base, 'POST', '/Users', user('bob'));
  const clash = await scim(base, 'PUT', `/Users/${renamed.body.id}`, user('Ada'));
  assert.equal(clash.status, 409, 'a PUT taking someone else\'s userName');
  const afterBob = e.log();
  // One valid operation followed by an invalid one: the first must not be applied on its own.
  const half = await scim(base, 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'CTO' }, { op: 'replace', path: 'shoeSize', value: '44' }] });
  assert.equal(half.status, 400);
  const wrongType = await scim(base, 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'CTO' }, { op: 'replace', path: 'active', value: 3 }] });
  assert.equal(wrongType.body.scimType, 'invalidValue');
  const taken = await scim(base, 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'BOB' }] });
  assert.equal(taken.status, 409);
  assert.equal(e.log(), afterBob, 'nothing of a refused request reached the store');
  assert.ok(afterBob.startsWith(before));
  assert.equal((await scim(base, 'GET', `/Users/${id}`)).body.title, undefined);
});

test('filters, paging, ETags and Entra ID / Okta PATCH shapes', async () => {
  const e = await endpoint('scim-protocol');
  const base = e.server.url;
  const ids: string[] = [];
  for (const name of ['u1', 'u2', 'u3', 'u4', 'u5']) ids.push((await scim(base, 'POST', '/Users', user(name, { externalId: `ext-${name}` }))).body.id!);
  const byName = await scim(base, 'GET', `/Users?filter=${encodeURIComponent('userName eq "U3"')}`);
  assert.deepEqual(byName.body.Resources!.map((r) => r.id), [ids[2]], 'userName compares case-insensitively');
  const both = await scim(base, 'GET', `/Users?filter=${encodeURIComponent('externalId eq "ext-u4" and userName eq "u4"')}`);
  assert.deepEqual(both.body.Resources!.map((r) => r.id), [ids[3]]);
  assert.equal((await scim(base, 'GET', `/Users?filter=${encodeURIComponent('externalId eq "EXT-U4"')}`)).body.totalResults, 0, 'externalId is case-exact');
  const page = await scim(base, 'GET', '/Users?startIndex=2&count=2');
  assert.deepEqual([page.body.totalResults, page.body.startIndex, page.body.itemsPerPage], [5, 2, 2]);
  assert.deepEqual(page.body.Resources!.map((r) => r.id), ids.slice(1, 3));

  const first = await scim(base, 'GET', `/Users/${ids[0]}`);
  const etag = first.headers.get('etag')!;
  assert.equal((first.body.meta as { version: string }).version, etag);
  assert.equal((await scim(base, 'GET', `/Users/${ids[0]}`, undefined, { 'if-none-match': etag })).status, 304);
  const moved = await scim(base, 'PATCH', `/Users/${ids[0]}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Engineer' }] }, { 'if-match': etag });
  assert.equal(moved.status, 200);
  assert.notEqual(moved.headers.get('etag'), etag);
  const stale = await scim(base, 'PUT', `/Users/${ids[0]}`, user('u1'), { 'if-match': etag });
  assert.equal(stale.status, 412);
  assert.equal((await scim(base, 'DELETE', `/Users/${ids[0]}`, undefined, { 'if-match': etag })).status, 412);

  // Entra ID: capitalised ops, "False" as a string, path-less dotted keys, the manager as a bare id.
  const entra = await scim(base, 'PATCH', `/Users/${ids[1]}`, {
    schemas: [PATCH_OP],
    Operations: [
      { op: 'Replace', path: 'active', value: 'False' },
      { op: 'Replace', value: { 'name.givenName': 'Grace', [`${ENTERPRISE}:department`]: 'Research' } },
      { op: 'Add', path: `${ENTERPRISE}:manager`, value: ids[2] },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'grace@example.com' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
    ],
  });
  assert.equal(entra.status, 200, JSON.stringify(entra.body));
  assert.equal(entra.body.active, false);
  assert.equal((entra.body.name as { givenName: string }).givenName, 'Grace');
  const enterprise = entra.body[ENTERPRISE] as { department: string; manager: { value: string } };
  assert.deepEqual([enterprise.department, enterprise.manager.value], ['Research', ids[2]]);
  assert.deepEqual(entra.body.emails, [{ value: 'grace@example.com', type: 'work', primary: true }]);
  assert.deepEqual(entra.body.phoneNumbers, [{ type: 'mobile', value: '+1 555 0100' }]);
  // Okta: path-less replace.
  const okta = await scim(base, 'PATCH', `/Users/${ids[1]}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
  assert.equal(okta.body.active, true);

  const group = await scim(base, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Sales', members: [{ value: ids[1] }] });
  const gid = group.body.id!;
  await scim(base, 'PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: ids[2] }, { value: ids[3] }] }] });
  const removedByFilter = await scim(base, 'PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${ids[1]}"]` }] });
  assert.deepEqual((removedByFilter.body.members as { value: string }[]).map((m) => m.value), [ids[2], ids[3]]);
  const removedByValue = await scim(base, 'PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: ids[2] }] }] });
  assert.deepEqual((removedByValue.body.members as { value: string }[]).map((m) => m.value), [ids[3]]);
  const member = await scim(base, 'GET', `/Users/${ids[3]}`);
  assert.deepEqual(member.body.groups, [{ value: gid, $ref: `${base}/Groups/${gid}`, display: 'Sales', type: 'direct' }]);
  assert.deepEqual((await scim(base, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "sales"')}`)).body.Resources!.map((r) => r.id), [gid]);
  assert.equal((await scim(base, 'DELETE', `/Users/${ids[3]}`)).status, 204);
  assert.equal((await scim(base, 'GET', `/Groups/${gid}`)).body.members, undefined, 'a deleted user leaves its groups');
});

test('what was pushed survives a restart of the SCIM server, and a torn last write is cut off', async () => {
  const first = await startEndpoint('scim-restart');
  const base = first.server.url;
  const created = await scim(base, 'POST', '/Users', user('lin', { title: 'Analyst' }));
  const group = await scim(base, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Finance', members: [{ value: created.body.id }] });
  const patched = await scim(base, 'PATCH', `/Users/${created.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Lead' }] });
  await first.close();
  appendFileSync(join(first.dir, STORE_FILE), '{"seq": 99, "changes": [{"kind"'); // a crash in the middle of a write

  const second = await startEndpoint('scim-restart', first.dir);
  endpoints.push(second);
  const again = await scim(second.server.url, 'GET', `/Users/${created.body.id}`);
  assert.equal(again.status, 200);
  assert.equal(again.body.title, 'Lead');
  assert.equal(again.headers.get('etag'), patched.headers.get('etag'));
  assert.deepEqual((again.body.groups as { display: string }[]).map((g) => g.display), ['Finance']);
  assert.equal((await scim(second.server.url, 'GET', `/Groups/${group.body.id}`)).status, 200);
  const next = await scim(second.server.url, 'POST', '/Users', user('mo'));
  assert.equal(next.status, 201, 'writes continue after the torn line');
  assert.equal(second.store.seq, 4);
});

test('a log grown well past what it holds is compacted into one snapshot line at open, with the same resources, versions and feed', async () => {
  const dir = testEnv.scratchDir('scim-compact');
  const store = ScimStore.open(dir);
  store.commit([{ kind: 'User', id: 'u-1', body: { schemas: [USER_SCHEMA], userName: 'kim' } }]);
  store.commit([{ kind: 'User', id: 'u-gone', body: { schemas: [USER_SCHEMA], userName: 'gone' } }]);
  store.commit([{ kind: 'Group', id: 'g-1', body: { schemas: [GROUP_SCHEMA], displayName: 'ops', members: [{ value: 'u-1' }] } }]);
  for (let i = 0; i < 1100; i++) store.commit([{ kind: 'User', id: 'u-1', body: { schemas: [USER_SCHEMA], userName: 'kim', title: `t${i}` } }]);
  store.commit([{ kind: 'User', id: 'u-gone', body: null }]);
  const before = { user: store.get('User', 'u-1'), feed: store.changesSince(2), groups: store.groupsOf('u-1'), seq: store.seq };
  store.close();

  const reopened = ScimStore.open(dir);
  endpoints.push({ close: async () => reopened.close() } as Endpoint);
  assert.equal(readFileSync(join(dir, STORE_FILE), 'utf8').trim().split('\n').length, 1, 'one snapshot line');
  assert.deepEqual({ user: reopened.get('User', 'u-1'), feed: reopened.changesSince(2), groups: reopened.groupsOf('u-1'), seq: reopened.seq }, before);
  assert.deepEqual(reopened.changesSince(2).removedUsers, ['u-gone']);
});
