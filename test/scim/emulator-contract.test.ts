/**
 * Contract tests for the SCIM service-provider emulator over HTTP (contract scim.md §6): what our
 * client relies on must behave like a real SP, including the switches for common SP variations.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScimEmulatorHandle } from '../../emulators/scim';
import { scimFetch, startEmulator } from './support';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const q = (filter: string) => `/Users?filter=${encodeURIComponent(filter)}`;

describe('SCIM emulator, strict SP (hard delete, ETag, small pages)', () => {
  let emulator: ScimEmulatorHandle;
  let call: ReturnType<typeof scimFetch>;
  before(async () => {
    const started = await startEmulator({ etag: true, defaultPageSize: 2, maxPageSize: 3, deleteMode: 'hard' });
    emulator = started.emulator;
    call = scimFetch(emulator, started.token);
  });
  after(() => emulator.close());

  test('rejects a missing or wrong bearer token with a SCIM 401', async () => {
    const res = await fetch(`${emulator.url}/Users`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /application\/scim\+json/);
    const body = (await res.json()) as { status: string; schemas: string[] };
    assert.equal(body.status, '401');
    assert.deepEqual(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  test('create answers 201 with an absolute Location equal to meta.location, timestamps and ETag', async () => {
    const res = await call('POST', '/Users', { schemas: [USER], userName: 'Grace.Hopper@Example.com', externalId: 'anchor-gh' });
    assert.equal(res.status, 201);
    const location = res.headers.get('location');
    assert.ok(location?.startsWith(`${emulator.url}/Users/`), `Location ${location}`);
    assert.equal(res.body!.meta.location, location);
    assert.ok(res.body!.meta.created && res.body!.meta.lastModified);
    assert.equal(res.headers.get('etag'), res.body!.meta.version);
    const read = await call('GET', `/Users/${res.body!.id}`);
    assert.equal(read.body!.userName, 'Grace.Hopper@Example.com');
  });

  test('userName is unique case-insensitively: a differently cased duplicate is a 409 uniqueness', async () => {
    const res = await call('POST', '/Users', { schemas: [USER], userName: 'grace.hopper@example.COM' });
    assert.equal(res.status, 409);
    assert.equal(res.body!.scimType, 'uniqueness');
    assert.equal(res.body!.status, '409');
  });

  test('filters userName case-insensitively and externalId case-exactly', async () => {
    const byName = await call('GET', q('userName eq "GRACE.HOPPER@example.com"'));
    assert.equal(byName.body!.totalResults, 1);
    assert.equal(byName.body!.Resources[0].externalId, 'anchor-gh');
    assert.equal((await call('GET', q('externalId eq "anchor-gh"'))).body!.totalResults, 1);
    assert.equal((await call('GET', q('externalId eq "ANCHOR-GH"'))).body!.totalResults, 0);
    const combined = await call('GET', q('userName eq "nobody@example.com" or (externalId eq "anchor-gh" and active eq true)'));
    assert.equal(combined.body!.totalResults, 1);
  });

  test('a malformed filter or an unsupported attribute is a 400 invalidFilter', async () => {
    for (const filter of ['userName eq', 'userName equals "x"', 'nickName eq "x"', '(userName eq "x"']) {
      const res = await call('GET', q(filter));
      assert.equal(res.status, 400, filter);
      assert.equal(res.body!.scimType, 'invalidFilter', filter);
    }
  });

  test('pages are 1-based, default to the SP page size and are capped by its maximum', async () => {
    for (const n of [1, 2, 3, 4]) await call('POST', '/Users', { schemas: [USER], userName: `pager${n}@example.com` });
    const all = await call('GET', q('userName sw "pager"'));
    assert.equal(all.body!.totalResults, 4);
    assert.equal(all.body!.Resources.length, 2, 'default page size');
    const capped = await call('GET', `${q('userName sw "pager"')}&count=10`);
    assert.equal(capped.body!.Resources.length, 3, 'count capped at maxPageSize');
    const last = await call('GET', `${q('userName sw "pager"')}&startIndex=4&count=3`);
    assert.equal(last.body!.startIndex, 4);
    assert.equal(last.body!.Resources.length, 1);
    const none = await call('GET', `${q('userName sw "pager"')}&count=0`);
    assert.equal(none.body!.totalResults, 4);
    assert.equal((none.body!.Resources ?? []).length, 0);
  });

  test('every page holds exactly the users from startIndex on, with the filter\'s totalResults', async () => {
    const names = (body: { Resources?: Array<{ userName: string }> }) => (body.Resources ?? []).map((r) => r.userName);
    const everyPager = names((await call('GET', `${q('userName sw "pager"')}&count=3`)).body!).concat(names((await call('GET', `${q('userName sw "pager"')}&startIndex=4&count=3`)).body!));
    assert.deepEqual(everyPager, ['pager1@example.com', 'pager2@example.com', 'pager3@example.com', 'pager4@example.com']);
    // A page starting inside the first page's length (startIndex 2 of 4) is where re-paging a page goes wrong.
    const middle = await call('GET', `${q('userName sw "pager"')}&startIndex=2&count=2`);
    assert.deepEqual({ startIndex: middle.body!.startIndex, totalResults: middle.body!.totalResults, users: names(middle.body!) }, {
      startIndex: 2,
      totalResults: 4,
      users: ['pager2@example.com', 'pager3@example.com'],
    });
    const unfiltered = await call('GET', '/Users?startIndex=2&count=3');
    const total = unfiltered.body!.totalResults as number;
    assert.ok(total >= 5, `${total} users in all`);
    assert.equal(unfiltered.body!.startIndex, 2);
    assert.equal(names(unfiltered.body!).length, 3);
    const beyond = await call('GET', `${q('userName sw "pager"')}&startIndex=9&count=3`);
    assert.equal(beyond.body!.totalResults, 4);
    assert.deepEqual(names(beyond.body!), [], 'a page past the end is empty');
  });

  test('PATCH replace active false with a capitalised op, guarded by If-Match (stale version: 412)', async () => {
    const created = await call('POST', '/Users', { schemas: [USER], userName: 'leaver@example.com' });
    const version = created.body!.meta.version as string;
    const deactivate = { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: false }] };
    const stale = await call('PATCH', `/Users/${created.body!.id}`, deactivate, { 'if-match': 'W/"999"' });
    assert.equal(stale.status, 412);
    const ok = await call('PATCH', `/Users/${created.body!.id}`, deactivate, { 'if-match': version });
    assert.equal(ok.status, 200);
    assert.equal(ok.body!.active, false);
    assert.notEqual(ok.body!.meta.version, version);
    assert.equal(ok.headers.get('etag'), ok.body!.meta.version);
    const again = await call('PATCH', `/Users/${created.body!.id}`, deactivate);
    assert.equal(again.status, 200, 'an unchanged PATCH still returns the resource in 200 mode');
    assert.equal(again.body!.meta.version, ok.body!.meta.version, 'no change, no new version');
  });

  test('group members: add is idempotent, remove by value filter, User.groups follows', async () => {
    const user = await call('POST', '/Users', { schemas: [USER], userName: 'member@example.com' });
    const group = (await call('GET', `/Groups?filter=${encodeURIComponent('displayName eq "agents"')}`)).body!.Resources[0];
    const add = { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: user.body!.id }] }] };
    await call('PATCH', `/Groups/${group.id}`, add);
    const twice = await call('PATCH', `/Groups/${group.id}`, add);
    assert.deepEqual(twice.body!.members.map((m: { value: string }) => m.value), [user.body!.id]);
    const withGroups = await call('GET', `/Users/${user.body!.id}`);
    assert.deepEqual(withGroups.body!.groups.map((g: { display: string }) => g.display), ['Agents']);
    const remove = { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${user.body!.id}"]` }] };
    const removed = await call('PATCH', `/Groups/${group.id}`, remove);
    assert.deepEqual(removed.body!.members, []);
  });

  test('PUT replaces every writable attribute; PATCH rejects a missing path and read-only targets', async () => {
    const user = await call('POST', '/Users', { schemas: [USER], userName: 'replace@example.com', title: 'Agent', externalId: 'anchor-put' });
    const put = await call('PUT', `/Users/${user.body!.id}`, { schemas: [USER], userName: 'replace@example.com', externalId: 'anchor-put' });
    assert.equal(put.status, 200);
    assert.equal(put.body!.title, undefined, 'omitted attributes are cleared');
    assert.equal(put.body!.externalId, 'anchor-put');
    const noPath = await call('PATCH', `/Users/${user.body!.id}`, { schemas: [PATCH], Operations: [{ op: 'remove' }] });
    assert.equal(noPath.status, 400);
    assert.equal(noPath.body!.scimType, 'noTarget');
    const readOnly = await call('PATCH', `/Users/${user.body!.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'id', value: 'x' }] });
    assert.equal(readOnly.status, 400);
    assert.equal(readOnly.body!.scimType, 'mutability');
  });

  test('hard DELETE answers 204 and the user is gone (404), its userName free again', async () => {
    const user = await call('POST', '/Users', { schemas: [USER], userName: 'gone@example.com' });
    assert.equal((await call('DELETE', `/Users/${user.body!.id}`)).status, 204);
    assert.equal((await call('GET', `/Users/${user.body!.id}`)).status, 404);
    assert.equal((await call('POST', '/Users', { schemas: [USER], userName: 'gone@example.com' })).status, 201);
  });

  test('ServiceProviderConfig advertises the active switches', async () => {
    const res = await call('GET', '/ServiceProviderConfig');
    assert.equal(res.body!.etag.supported, true);
    assert.equal(res.body!.patch.supported, true);
    assert.equal(res.body!.bulk.supported, false);
    assert.equal(res.body!.filter.maxResults, 3);
  });

  test('injected faults: 429 with Retry-After, 503, then normal service', async () => {
    await emulator.setFaults({ queue: ['rateLimit', 'serverError'] });
    const limited = await call('GET', '/Users');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal((await call('GET', '/Users')).status, 503);
    assert.equal((await call('GET', '/Users')).status, 200);
    const state = await emulator.state();
    assert.equal(state.faults.injected.rateLimit, 1);
    assert.equal(state.faults.injected.serverError, 1);
  });
});

describe('SCIM emulator, lenient SP (soft delete, PATCH 204, no ETag, no empty Resources)', () => {
  let emulator: ScimEmulatorHandle;
  let call: ReturnType<typeof scimFetch>;
  before(async () => {
    const started = await startEmulator({ deleteMode: 'soft', patchStatus: 204, etag: false, omitEmptyResources: true });
    emulator = started.emulator;
    call = scimFetch(emulator, started.token);
  });
  after(() => emulator.close());

  test('soft DELETE keeps the user readable and inactive, and its userName still taken', async () => {
    const user = await call('POST', '/Users', { schemas: [USER], userName: 'Soft@Example.com' });
    assert.equal(user.body!.meta.version, undefined, 'no versions without the etag switch');
    assert.equal((await call('DELETE', `/Users/${user.body!.id}`)).status, 204);
    const read = await call('GET', `/Users/${user.body!.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body!.active, false);
    const again = await call('POST', '/Users', { schemas: [USER], userName: 'soft@example.com' });
    assert.equal(again.status, 409);
  });

  test('PATCH answers 204 without a body and If-Match is ignored', async () => {
    const user = await call('POST', '/Users', { schemas: [USER], userName: 'quiet@example.com' });
    const res = await call('PATCH', `/Users/${user.body!.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { title: 'Lead' } }] }, { 'if-match': 'W/"1234"' });
    assert.equal(res.status, 204);
    assert.equal(res.body, undefined);
    assert.equal((await call('GET', `/Users/${user.body!.id}`)).body!.title, 'Lead');
  });

  test('an empty ListResponse leaves Resources out when the switch is on', async () => {
    const empty = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`);
    assert.equal(empty.body!.totalResults, 0);
    assert.equal('Resources' in empty.body!, false);
  });

  test('ServiceProviderConfig says ETags are not supported', async () => {
    assert.equal((await call('GET', '/ServiceProviderConfig')).body!.etag.supported, false);
  });
});
