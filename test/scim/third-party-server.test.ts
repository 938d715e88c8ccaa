/**
 * idsync's SCIM connector, and once the whole person workflow, against scim2-server: an independent
 * SCIM 2.0 service provider from PyPI that nobody here wrote (test/scim/scim2-server.ts). It answers
 * PATCH with 204 and no body, versions resources (W/"n", 412 on a stale If-Match), pages, and starts
 * empty, so every group idsync grants is POSTed first. Every check reads back through the server's
 * own GETs; "changes nothing" means the resource's meta.version did not move.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { ScimClient, TargetHttpError } from '../../targets/scim/client';
import { scimConfigSchema, scimTarget } from '../../targets/scim';
import type { TargetAdapter } from '../../targets/adapter';
import type { DirectoryGroupSync } from '../../targets/group-sync';
import { policyConfigSchema } from '../../policy/config';
import { event, addPerson, joinGroup, leaveGroup, sendEvent, startTestStack, TEST_POLICY, uniqueQueues, waitForOutcome, type Fixture, type TestStack } from '../workflows/support/harness';
import { desiredAccount, expectFailure } from './support';
import { scim2ServerSkipReason, startScim2Server, type Scim2Server } from './scim2-server';
import { beforeFirstRequest, ENTERPRISE, PATCH_SCHEMA, scim2Adapter, scim2PersonFixture, serverView } from './third-party-support';

const skip = scim2ServerSkipReason() ?? undefined;

let server: Scim2Server;
before(async () => {
  if (!skip) server = await startScim2Server({ tenants: ['connector', 'groups', 'desk', 'wiki'] });
});
after(async () => server?.close());

const tenantView = (tenant: string) => serverView(() => ({ server, base: server.tenants[tenant]! }));

describe('SCIM connector against scim2-server', { skip }, () => {
  const view = tenantView('connector');
  let adapter: TargetAdapter;
  let deleting: TargetAdapter;
  before(async () => {
    adapter = scim2Adapter(server, server.tenants.connector!, { deleteMode: 'deactivate' });
    deleting = scim2Adapter(server, server.tenants.connector!, { deleteMode: 'delete' });
    for (const name of ['Agents', 'Team Leads', 'Admins']) await view.postGroup(name);
  });

  const joiner = desiredAccount('tp-joiner', { username: 'tp.joiner@example.com', email: 'tp.joiner@example.com', attributes: { title: 'Agent', [`${ENTERPRISE}:department`]: 'Support' } });
  const joinerGroups = [{ kind: 'group', name: 'Agents' }, { kind: 'group', name: 'Team Leads' }];

  test('joiner: created with its attributes and groups; a second run changes nothing', async () => {
    const created = await adapter.ensureAccount(joiner);
    assert.equal(created.created, true);
    const grants = await adapter.ensureEntitlements(created.accountId, joinerGroups, 'overwrite');
    assert.deepEqual(grants.map((c) => c.subject).sort(), ['group:Agents', 'group:Team Leads']);

    const user = (await view.user(created.accountId))!;
    assert.deepEqual(
      [user.userName, user.externalId, user.active, user.title, user[ENTERPRISE]?.department, user.name?.familyName, user.emails?.[0]?.value],
      ['tp.joiner@example.com', 'tp-joiner', true, 'Agent', 'Support', 'tp-joiner', 'tp.joiner@example.com'],
    );
    assert.deepEqual(await view.groupsOf(created.accountId), ['Agents', 'Team Leads']);

    const version = user.meta.version;
    const again = await adapter.ensureAccount(joiner);
    assert.deepEqual([again.created, again.accountId, again.changes], [false, created.accountId, []]);
    assert.deepEqual(await adapter.ensureEntitlements(created.accountId, joinerGroups, 'overwrite'), []);
    assert.equal((await view.user(created.accountId))!.meta.version, version, 'the server saw no write');
    assert.equal((await view.usersWhere('externalId eq "tp-joiner"')).length, 1);
  });

  test('findAccount by externalId, by userName (any case) and by link, with the groups the server holds', async () => {
    const byAnchor = await adapter.findAccount({ anchor: 'tp-joiner' });
    assert.deepEqual([byAnchor?.username, byAnchor?.anchor, byAnchor?.attributes.title, byAnchor?.entitlements.map((e) => e.name).sort()], ['tp.joiner@example.com', 'tp-joiner', 'Agent', ['Agents', 'Team Leads']]);
    const unanchored = await view.postUser('tp.legacy@example.com');
    assert.equal((await adapter.findAccount({ anchor: 'tp-legacy', username: 'TP.Legacy@Example.com' }))?.id, unanchored, 'userName matches case-insensitively');
    assert.equal(await adapter.findAccount({ anchor: 'tp-nobody', username: 'tp.joiner@example.com' }), null, 'a userName anchored to someone else is not this person');
    assert.equal((await adapter.findAccount({ anchor: '', accountId: byAnchor!.id }))?.id, byAnchor!.id);
  });

  test('mover: an attribute and a group change send only the difference; the re-run changes nothing', async () => {
    const moved = { ...joiner, attributes: { ...joiner.attributes, title: 'Lead Agent' } };
    const result = await adapter.ensureAccount(moved);
    assert.deepEqual(result.changes.map((c) => [c.subject, c.after]), [['title', 'Lead Agent']]);
    const regrouped = await adapter.ensureEntitlements(result.accountId, [{ kind: 'group', name: 'Agents' }, { kind: 'group', name: 'Admins' }], 'overwrite');
    assert.deepEqual(regrouped.map((c) => `${c.action} ${c.subject}`).sort(), ['grant group:Admins', 'revoke group:Team Leads']);
    assert.equal((await view.user(result.accountId))!.title, 'Lead Agent');
    assert.deepEqual(await view.groupsOf(result.accountId), ['Admins', 'Agents']);
    const version = (await view.user(result.accountId))!.meta.version;
    assert.deepEqual((await adapter.ensureAccount(moved)).changes, []);
    assert.deepEqual(await adapter.ensureEntitlements(result.accountId, [{ kind: 'group', name: 'Agents' }, { kind: 'group', name: 'Admins' }], 'overwrite'), []);
    assert.equal((await view.user(result.accountId))!.meta.version, version);
  });

  test('leaver with deleteMode deactivate: suspended once, remove leaves it inactive; a rehire reactivates the same account', async () => {
    const { accountId } = await adapter.ensureAccount(joiner);
    const leaver = { anchor: 'tp-joiner', username: joiner.username, email: joiner.email };
    assert.deepEqual((await adapter.suspend(leaver)).map((c) => [c.action, c.accountId]), [['suspend', accountId]]);
    assert.equal((await view.user(accountId))!.active, false);
    const version = (await view.user(accountId))!.meta.version;
    assert.deepEqual(await adapter.suspend(leaver), []);
    assert.deepEqual(await adapter.remove(leaver), [], 'already inactive: nothing to do');
    assert.equal((await view.user(accountId))!.meta.version, version, 'the server saw no write');

    const rehired = await adapter.ensureAccount(joiner);
    assert.deepEqual([rehired.accountId, rehired.changes.map((c) => c.action)], [accountId, ['activate']]);
    assert.equal((await view.user(accountId))!.active, true);
  });

  test('leaver with deleteMode delete: the account is deleted once; a rehire creates a fresh one', async () => {
    const desired = desiredAccount('tp-gone');
    const { accountId } = await deleting.ensureAccount(desired);
    await deleting.ensureEntitlements(accountId, [{ kind: 'group', name: 'Agents' }], 'overwrite');
    assert.deepEqual((await deleting.remove({ anchor: 'tp-gone' })).map((c) => [c.action, c.accountId]), [['remove', accountId]]);
    assert.equal(await view.user(accountId), undefined, 'the server no longer has it');
    assert.deepEqual(await deleting.remove({ anchor: 'tp-gone', accountId }), []);
    const rehired = await deleting.ensureAccount(desired);
    assert.equal(rehired.created, true);
    assert.notEqual(rehired.accountId, accountId);
  });

  test('reconcile reads page through every user with their groups; the catalog lists the groups', async () => {
    for (let i = 0; i < 5; i += 1) await adapter.ensureAccount(desiredAccount(`tp-page-${i}`));
    const listed = [];
    for await (const account of adapter.listAccounts()) listed.push(account);
    const all = await server.fetch('GET', `${server.tenants.connector}/Users?count=1000`);
    assert.equal(listed.length, all.body!.totalResults, 'every user, over pages of 2');
    assert.deepEqual(new Set(listed.map((a) => a.id)).size, listed.length, 'no user twice');
    const joinerState = listed.find((a) => a.anchor === 'tp-joiner');
    assert.deepEqual(joinerState?.entitlements.map((e) => e.name).sort(), ['Admins', 'Agents']);
    assert.deepEqual(await adapter.listCatalog!(), { group: ['Admins', 'Agents', 'Team Leads'] });
  });

  test('ETags: a write from a stale read is refused with 412, classified retryable; the connector re-reads and converges', async () => {
    const { accountId } = await adapter.ensureAccount(desiredAccount('tp-etag'));
    const client = new ScimClient({ baseUrl: server.tenants.connector!, token: server.token, pageSize: 2, timeoutMs: 10_000 });
    const stale = (await client.get('/Users', accountId))!;
    assert.match(String(stale.meta?.version), /^W\/"/);
    // Someone else changes the account after our read.
    assert.equal((await server.fetch('PATCH', `${server.tenants.connector}/Users/${accountId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'Changed elsewhere' }] })).status, 204);
    const refused = await client.patch('/Users', stale, [{ op: 'replace', path: 'title', value: 'Ours' }]).catch((err: unknown) => err);
    assert.ok(refused instanceof TargetHttpError && refused.status === 412, `expected 412, got ${String(refused)}`);
    assert.equal((await view.user(accountId))!.title, 'Changed elsewhere', 'the stale write did not land');
    const deleteRefused = await client.delete('/Users', stale).catch((err: unknown) => err);
    assert.ok(deleteRefused instanceof TargetHttpError && deleteRefused.status === 412, 'DELETE carries If-Match too');
    // Through the connector: it reads the current version, so policy wins without a 412.
    const converged = await adapter.ensureAccount(desiredAccount('tp-etag', { attributes: { title: 'Ours' } }));
    assert.deepEqual(converged.changes.map((c) => [c.subject, c.before, c.after]), [['title', 'Changed elsewhere', 'Ours']]);
    assert.equal((await view.user(accountId))!.title, 'Ours');
  });

  test('ETags through the connector: a change made between its read and its PATCH gets a 412; it re-reads and converges, keeping that change', async () => {
    const { accountId } = await adapter.ensureAccount(desiredAccount('tp-race'));
    const admin = beforeFirstRequest('PATCH', `/Users/${accountId}`, async () => {
      const res = await server.fetch('PATCH', `${server.tenants.connector}/Users/${accountId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'nickName', value: 'set by an admin' }] });
      assert.equal(res.status, 204);
    });
    const result = await admin.during(() => adapter.ensureAccount(desiredAccount('tp-race', { attributes: { title: 'Ours' } })));
    assert.deepEqual(result.changes.map((c) => c.subject), ['title']);
    assert.deepEqual(admin.statuses, [412, 204], 'the stale PATCH was refused, the recomputed one applied');
    const user = (await view.user(accountId))!;
    assert.deepEqual([user.title, user.nickName], ['Ours', 'set by an admin']);
  });

  test('a create whose answer was lost is found on the re-run, never created twice', async () => {
    const desired = desiredAccount('tp-lost', { attributes: { title: 'Agent' } });
    const lost = beforeFirstRequest('POST', '/Users', async () => undefined, { dropAnswer: true });
    await expectFailure(lost.during(() => adapter.ensureAccount(desired)), 'NetworkError', false);
    const rerun = await adapter.ensureAccount(desired);
    assert.deepEqual([rerun.created, rerun.changes], [false, []]);
    assert.equal((await view.usersWhere('externalId eq "tp-lost"')).length, 1);
  });

  test('PATCH is answered 204 without a body, and the client takes that as success', async () => {
    const { accountId } = await adapter.ensureAccount(desiredAccount('tp-204'));
    const raw = await server.fetch('PATCH', `${server.tenants.connector}/Users/${accountId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'x' }] });
    assert.deepEqual([raw.status, raw.body], [204, undefined]);
    const client = new ScimClient({ baseUrl: server.tenants.connector!, token: server.token, pageSize: 2, timeoutMs: 10_000 });
    const current = (await client.get('/Users', accountId))!;
    assert.equal(await client.patch('/Users', current, [{ op: 'replace', path: 'title', value: 'y' }]), undefined);
    assert.equal((await view.user(accountId))!.title, 'y');
  });

  test('a refused token is a non-retryable PermissionDenied that does not quote the token', async () => {
    const wrongToken = 'wrong-token-0123456789abcdef';
    const refused = scimTarget.createAdapter('scim2', scimConfigSchema.parse({ kind: 'scim', baseUrl: server.tenants.connector!, tokenEnv: 'SCIM2_TOKEN' }), { SCIM2_TOKEN: wrongToken });
    const err = await expectFailure(refused.findAccount({ anchor: 'tp-joiner' }), 'PermissionDenied', true);
    assert.match(err.message, /answered 401/);
    assert.doesNotMatch(err.message, new RegExp(wrongToken));
  });

  test('a userName held by someone else is a DuplicateAccount, and no second account appears', async () => {
    await view.postUser('tp.taken@example.com', { externalId: 'someone-else' });
    await expectFailure(adapter.ensureAccount(desiredAccount('tp-intruder', { username: 'tp.taken@example.com', email: 'tp.taken@example.com' })), 'DuplicateAccount', true);
    assert.equal((await view.usersWhere('userName eq "tp.taken@example.com"')).length, 1);
  });
});

describe('SCIM directory groups against scim2-server', { skip }, () => {
  const view = tenantView('groups');
  let adapter: TargetAdapter & DirectoryGroupSync;
  const members: Record<string, string> = {};
  before(async () => {
    adapter = scim2Adapter(server, server.tenants.groups!, { groupSync: { directoryGroups: true } });
    for (const anchor of ['g-ann', 'g-bob', 'g-cy']) members[anchor] = (await adapter.ensureAccount(desiredAccount(anchor))).accountId;
  });

  test('created with externalId and members, renamed, membership overwritten, deleted; re-runs change nothing', async () => {
    const ref = { anchor: 'dir-group-1', name: 'Support EMEA' };
    const created = await adapter.ensureDirectoryGroup(ref, ['g-ann', 'g-bob', 'g-missing']);
    assert.deepEqual([created.created, created.unresolvedMembers], [true, 1]);
    let group = (await view.group(created.groupId))!;
    assert.deepEqual([group.displayName, group.externalId, group.members.map((m: { value: string }) => m.value).sort()], ['Support EMEA', 'dir-group-1', [members['g-ann'], members['g-bob']].sort()]);
    const version = group.meta.version;
    const again = await adapter.ensureDirectoryGroup({ ...ref, linkedId: created.groupId, created: true }, ['g-ann', 'g-bob', 'g-missing']);
    assert.deepEqual([again.groupId, again.changes], [created.groupId, []]);
    assert.equal((await view.group(created.groupId))!.meta.version, version, 'the server saw no write');

    const renamed = { anchor: 'dir-group-1', name: 'Support Europe', previousName: 'Support EMEA', linkedId: created.groupId, created: true };
    const moved = await adapter.ensureDirectoryGroup(renamed, ['g-bob', 'g-cy']);
    assert.deepEqual(moved.changes.map((c) => c.action).sort(), ['grant', 'revoke', 'update']);
    group = (await view.group(created.groupId))!;
    assert.deepEqual([group.displayName, group.members.map((m: { value: string }) => m.value).sort()], ['Support Europe', [members['g-bob'], members['g-cy']].sort()]);
    assert.deepEqual((await adapter.ensureDirectoryGroup(renamed, ['g-bob', 'g-cy'])).changes, []);

    assert.deepEqual((await adapter.removeDirectoryGroup(renamed)).changes.map((c) => c.action), ['remove']);
    assert.equal(await view.group(created.groupId), undefined);
    assert.deepEqual(await adapter.removeDirectoryGroup(renamed), { changes: [] });
  });

  test('a group the SP already had by that name is adopted, not duplicated, and never deleted', async () => {
    const existing = await view.postGroup('Field Sales');
    const adopted = await adapter.ensureDirectoryGroup({ anchor: 'dir-group-2', name: 'Field Sales' }, ['g-cy']);
    assert.deepEqual([adopted.groupId, adopted.created], [existing, false]);
    assert.deepEqual(await view.groupsOf(members['g-cy']!), ['Field Sales']);
    const kept = await adapter.removeDirectoryGroup({ anchor: 'dir-group-2', name: 'Field Sales', linkedId: existing });
    assert.match(kept.kept ?? '', /not created by idsync/);
    assert.ok(await view.group(existing));
  });
});

describe('the person workflow through Temporal with its SCIM target on scim2-server', { skip }, () => {
  const view = tenantView('desk');
  let fx: Fixture;
  let client: Client;
  let stack: TestStack | undefined;
  const queues = uniqueQueues('scim2');

  before(async () => {
    for (const name of ['Agents', 'Team Leads', 'Admins']) await view.postGroup(name);
    for (const name of ['Readers', 'Editors']) await tenantView('wiki').postGroup(name);
    fx = await scim2PersonFixture(server, 'scim2', (config) => {
      const desk = { ...TEST_POLICY.targets.desk, attributes: { title: '{title}' } };
      config.policy = policyConfigSchema.parse({ ...TEST_POLICY, targets: { ...TEST_POLICY.targets, desk } });
    });
    stack = await startTestStack(fx, queues);
    client = stack.client;
  });
  after(async () => {
    await (stack ? stack.close() : fx?.close());
  });

  const deskAccount = async (userName: string) => {
    const found = await view.usersWhere(`userName eq "${userName}"`);
    assert.ok(found.length <= 1, `${found.length} accounts for ${userName}`);
    const user = found[0];
    return user && { id: String(user.id), active: user.active as boolean, title: user.title as string | undefined, version: String(user.meta.version), groups: await view.groupsOf(String(user.id)) };
  };

  test('joiner, mover, leaver, rehire and an idempotent re-sync, checked through the server', async () => {
    const anchor = await addPerson(fx, 'sc.im', ['support', 'support-leads'], { title: 'Agent' });
    const run = async (kind: 'joiner' | 'mover' | 'leaver' | 'rehire' | 'sync') => {
      const ev = event(anchor, kind);
      await sendEvent(client, queues, ev);
      const outcome = await waitForOutcome(client, anchor, ev.eventId);
      assert.equal(outcome.outcome, 'converged', `${kind}: ${outcome.message}`);
    };

    await run('joiner');
    const joined = (await deskAccount('sc.im@example.com'))!;
    assert.deepEqual([joined.active, joined.title, joined.groups], [true, 'Agent', ['Agents', 'Team Leads']]);
    assert.equal((await view.user(joined.id))!.externalId, anchor);
    assert.equal(await tenantView('wiki').usersWhere(`externalId eq "${anchor}"`).then((u) => u.length), 0, 'out of the wiki scope: no account');

    await fx.ldap.replace(fx.ldap.personDn('sc.im'), 'title', ['Lead Agent']);
    await leaveGroup(fx, 'sc.im', 'support-leads');
    await run('mover');
    const moved = (await deskAccount('sc.im@example.com'))!;
    assert.deepEqual([moved.id, moved.active, moved.title, moved.groups], [joined.id, true, 'Lead Agent', ['Agents']]);

    await fx.ldap.replace(fx.ldap.personDn('sc.im'), 'employeeType', ['disabled']);
    await run('leaver');
    assert.equal((await deskAccount('sc.im@example.com'))!.active, false);

    await fx.ldap.deleteValues(fx.ldap.personDn('sc.im'), 'employeeType', ['disabled']);
    await joinGroup(fx, 'sc.im', 'support-leads');
    await run('rehire');
    const rehired = (await deskAccount('sc.im@example.com'))!;
    assert.deepEqual([rehired.id, rehired.active, rehired.groups], [joined.id, true, ['Agents', 'Team Leads']]);

    await run('sync');
    const resynced = (await deskAccount('sc.im@example.com'))!;
    assert.deepEqual(resynced, rehired, 'a second run changes nothing: same version, same groups');
  });
});
