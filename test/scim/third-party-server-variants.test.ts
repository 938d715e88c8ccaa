/**
 * idsync's SCIM connector against scim2-server configured as service providers with less than
 * everything: no filtering and pages cut short without notice, or no PATCH (PUT of the whole
 * resource instead). Each variant is a ServiceProviderConfig the RFC allows; scim2-server obeys it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TargetAdapter } from '../../targets/adapter';
import type { DirectoryGroupSync } from '../../targets/group-sync';
import { desiredAccount } from './support';
import { scim2ServerSkipReason, startScim2Server, type Scim2Server } from './scim2-server';
import { beforeFirstRequest, ENTERPRISE, GROUP_SCHEMA, scim2Adapter } from './third-party-support';

const skip = scim2ServerSkipReason() ?? undefined;

/**
 * RFC 7643 §5 lets a service provider announce filter.supported=false; scim2-server then answers a
 * filter with 501. This one also caps every page at 2 without saying so in filter.maxResults (its
 * RFC 9865 pagination.maxPageSize), while idsync asks for 100.
 */
describe('SCIM connector against scim2-server without filtering, with silently capped pages', { skip }, () => {
  let unfiltered: Scim2Server;
  let adapter: TargetAdapter & DirectoryGroupSync;
  before(async () => {
    unfiltered = await startScim2Server({
      serviceProviderConfig: {
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: false },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: true },
        pagination: { index: true, cursor: false, maxPageSize: 2 },
      },
    });
    adapter = scim2Adapter(unfiltered, unfiltered.url, { pageSize: 100, groupSync: { directoryGroups: true } });
  });
  after(async () => unfiltered?.close());

  test('accounts and groups are found by listing and matching in idsync; re-runs change nothing', async () => {
    const refused = await unfiltered.fetch('GET', `${unfiltered.url}/Users?filter=${encodeURIComponent('userName eq "x"')}`);
    assert.equal(refused.status, 501, 'the server really does not filter');
    for (let i = 0; i < 3; i += 1) await adapter.ensureAccount(desiredAccount(`nf-other-${i}`));
    const created = await adapter.ensureAccount(desiredAccount('nf-ann', { username: 'Nf.Ann@example.com' }));
    assert.equal(created.created, true);
    const again = await adapter.ensureAccount(desiredAccount('nf-ann', { username: 'nf.ann@example.com' }));
    assert.deepEqual([again.created, again.accountId], [false, created.accountId]);
    assert.equal((await adapter.findAccount({ anchor: 'nf-ann' }))?.id, created.accountId);
    const legacy = await unfiltered.fetch('POST', `${unfiltered.url}/Users`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'nf.legacy@example.com' });
    assert.equal((await adapter.findAccount({ anchor: 'nf-legacy', username: 'NF.LEGACY@example.com' }))?.id, legacy.body!.id);
    assert.deepEqual((await adapter.suspend({ anchor: 'nf-ann' })).map((c) => c.accountId), [created.accountId]);

    const group = await adapter.ensureDirectoryGroup({ anchor: 'nf-group', name: 'No Filter' }, ['nf-ann']);
    assert.equal(group.created, true);
    assert.deepEqual((await adapter.ensureDirectoryGroup({ anchor: 'nf-group', name: 'No Filter' }, ['nf-ann'])).changes, [], 'found again by externalId');
    const listed = await unfiltered.fetch('GET', `${unfiltered.url}/Groups`);
    assert.equal(listed.body!.totalResults, 1, 'no second group');
  });

  test('reconcile reads get every user exactly once over pages the server cut short', async () => {
    const page = await unfiltered.fetch('GET', `${unfiltered.url}/Users?startIndex=1&count=100`);
    assert.deepEqual([page.body!.itemsPerPage, page.body!.totalResults > 2], [2, true], 'the server caps pages at 2');
    const ids: string[] = [];
    for await (const account of adapter.listAccounts()) ids.push(account.id);
    assert.equal(ids.length, page.body!.totalResults);
    assert.equal(new Set(ids).size, ids.length);
  });
});

/** An SP without PATCH (patch.supported=false) gets PUTs of the full resource; scim2-server then refuses PATCH with 501. */
describe('SCIM connector against scim2-server without PATCH', { skip }, () => {
  let putOnly: Scim2Server;
  let adapter: TargetAdapter & DirectoryGroupSync;
  before(async () => {
    putOnly = await startScim2Server({ serviceProviderConfig: { patch: { supported: false }, bulk: { supported: false }, filter: { supported: true, maxResults: 3 }, changePassword: { supported: false }, sort: { supported: false }, etag: { supported: true } } });
    adapter = scim2Adapter(putOnly, putOnly.url, { pageSize: 50, groupSync: { directoryGroups: true } });
  });
  after(async () => putOnly?.close());

  const members = async (groupId: string) => ((await putOnly.fetch('GET', `${putOnly.url}/Groups/${groupId}`)).body!.members ?? []).map((m: { value: string }) => m.value).sort();

  test('lifecycle over PUT: attributes changed and removed, groups granted and revoked, suspended; re-runs change nothing', async () => {
    const groups = await Promise.all(['PUT Agents', 'PUT Admins'].map((displayName) => putOnly.fetch('POST', `${putOnly.url}/Groups`, { schemas: [GROUP_SCHEMA], displayName })));
    const desired = desiredAccount('put-ann', { attributes: { title: 'Agent', [`${ENTERPRISE}:department`]: 'Support' } });
    const { accountId } = await adapter.ensureAccount(desired);
    const changed = { ...desired, attributes: { title: 'Lead', [`${ENTERPRISE}:department`]: null } };
    assert.deepEqual((await adapter.ensureAccount(changed)).changes.map((c) => c.subject).sort(), ['title', `${ENTERPRISE}:department`]);
    const user = (await putOnly.fetch('GET', `${putOnly.url}/Users/${accountId}`)).body!;
    assert.deepEqual([user.title, user[ENTERPRISE]?.department, user.externalId], ['Lead', undefined, 'put-ann']);
    assert.deepEqual((await adapter.ensureAccount(changed)).changes, []);
    const grants = [{ kind: 'group', name: 'PUT Agents' }, { kind: 'group', name: 'PUT Admins' }];
    assert.equal((await adapter.ensureEntitlements(accountId, grants, 'overwrite')).length, 2);
    assert.equal((await adapter.ensureEntitlements(accountId, grants.slice(0, 1), 'overwrite')).length, 1);
    assert.deepEqual([await members(String(groups[0]!.body!.id)), await members(String(groups[1]!.body!.id))], [[accountId], []]);
    assert.deepEqual((await adapter.suspend({ anchor: 'put-ann' })).map((c) => c.action), ['suspend']);
    assert.equal((await putOnly.fetch('GET', `${putOnly.url}/Users/${accountId}`)).body!.active, false);
  });

  test('a member added by someone else between idsync’s read and its PUT is not overwritten', async () => {
    const ann = (await adapter.ensureAccount(desiredAccount('put-race-ann'))).accountId;
    const bob = (await adapter.ensureAccount(desiredAccount('put-race-bob'))).accountId;
    const other = (await adapter.ensureAccount(desiredAccount('put-race-other'))).accountId;
    const group = String((await putOnly.fetch('POST', `${putOnly.url}/Groups`, { schemas: [GROUP_SCHEMA], displayName: 'PUT Race', members: [{ value: ann }] })).body!.id);
    // An administrator adds `other` right after idsync read the group and before its PUT arrives.
    const interference = beforeFirstRequest('PUT', `/Groups/${group}`, async () => {
      const current = (await putOnly.fetch('GET', `${putOnly.url}/Groups/${group}`)).body!;
      const put = await putOnly.fetch('PUT', `${putOnly.url}/Groups/${group}`, { schemas: [GROUP_SCHEMA], displayName: current.displayName, members: [...current.members, { value: other }] });
      assert.equal(put.status, 200, JSON.stringify(put.body));
    });
    await interference.during(() => adapter.ensureEntitlements(bob, [{ kind: 'group', name: 'PUT Race' }], 'merge'));
    assert.deepEqual(interference.statuses, [412, 200], 'the PUT built from the stale read was refused, the one from a fresh read applied');
    assert.deepEqual(await members(group), [ann, bob, other].sort(), 'both additions are kept');
  });
});
