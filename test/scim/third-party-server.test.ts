/**
 * idsync's SCIM connector, and once the whole person workflow, against scim2-server: an independent
 * SCIM 2.0 service provider from PyPI that nobody here wrote (test/scim/scim2-server.ts). It answers
 * PATCH with 204 and no body, versions resources (W/"n", 412 on a stale If-Match), pages, and starts
 * empty, so every group idsync grants is POSTed first. Every check reads back through the server's
 * own GETs; "changes nothing" means the resource's meta.version did not move.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { ScimClient, TargetHttpError } from '../../targets/scim/client';
import { scimConfigSchema, scimTarget } from '../../targets/scim';
import type { TargetAdapter } from '../../targets/adapter';
import type { DirectoryGroupSync } from '../../targets/group-sync';
import { policyConfigSchema } from '../../policy/config';
import { testEnv } from '../support/env';
import { createLdapFixture } from '../directory/support/ldap-fixture';
import { buildConfig, buildRuntime, event, addPerson, joinGroup, leaveGroup, sendEvent, startTestStack, TEST_POLICY, uniqueQueues, waitForOutcome, type Emulators, type Fixture, type TestStack } from '../workflows/support/harness';
import { desiredAccount, expectFailure } from './support';
import { scim2ServerSkipReason, startScim2Server, type Scim2Server } from './scim2-server';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const skip = scim2ServerSkipReason() ?? undefined;

let server: Scim2Server;
before(async () => {
  if (!skip) server = await startScim2Server({ tenants: ['connector', 'groups', 'desk', 'wiki'] });
});
after(async () => server?.close());

/** The server's own view of a resource, and of who is in which group. */
function serverView(base: () => string) {
  const read = async (path: string) => {
    const res = await server.fetch('GET', `${base()}${path}`);
    return res.status === 404 ? undefined : (assert.equal(res.status, 200, JSON.stringify(res.body)), res.body!);
  };
  return {
    user: (id: string) => read(`/Users/${id}`),
    group: (id: string) => read(`/Groups/${id}`),
    async groupsOf(userId: string): Promise<string[]> {
      const page = await read('/Groups?count=1000');
      return (page!.Resources as Array<{ displayName: string; members?: Array<{ value: string }> }>)
        .filter((g) => g.members?.some((m) => m.value === userId))
        .map((g) => g.displayName)
        .sort();
    },
    async usersWhere(filter: string) {
      return ((await read(`/Users?filter=${encodeURIComponent(filter)}`))!.Resources ?? []) as Array<Record<string, any>>;
    },
    async postGroup(displayName: string, extra: Record<string, unknown> = {}): Promise<string> {
      const res = await server.fetch('POST', `${base()}/Groups`, { schemas: [GROUP_SCHEMA], displayName, ...extra });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return String(res.body!.id);
    },
    async postUser(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
      const res = await server.fetch('POST', `${base()}/Users`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, ...extra });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return String(res.body!.id);
    },
  };
}

/**
 * Runs `interfere` (someone else's write, or a lost connection) just before idsync's first `method`
 * request to a URL ending in `pathEnd`, while `during` runs: a fixed interleaving, no timing.
 * `dropAnswer` lets that request reach the server and then fails it as a dropped connection would.
 */
function beforeFirstRequest(method: string, pathEnd: string, interfere: () => Promise<void>, options: { dropAnswer?: boolean } = {}) {
  let happened = false;
  /** The statuses the server gave idsync's `method` requests to that URL while `work` ran. */
  const statuses: number[] = [];
  return {
    statuses,
    async during<T>(work: () => Promise<T>): Promise<T> {
      const realFetch = globalThis.fetch;
      let interfering = false;
      globalThis.fetch = async (input, init) => {
        if (interfering || init?.method !== method || !new URL(String(input)).pathname.endsWith(pathEnd)) return realFetch(input, init);
        const first = !happened;
        happened = true;
        if (first) {
          interfering = true;
          await interfere().finally(() => (interfering = false));
        }
        const answer = await realFetch(input, init);
        statuses.push(answer.status);
        if (first && options.dropAnswer) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
        return answer;
      };
      try {
        return await work();
      } finally {
        globalThis.fetch = realFetch;
        assert.ok(happened, `no ${method} ${pathEnd} was sent`);
      }
    },
  };
}

function adapterFor(baseUrl: string, overrides: Record<string, unknown> = {}): TargetAdapter & DirectoryGroupSync {
  const config = scimConfigSchema.parse({ kind: 'scim', baseUrl, tokenEnv: 'SCIM2_TOKEN', pageSize: 2, ...overrides });
  return scimTarget.createAdapter('scim2', config, { SCIM2_TOKEN: server.token }) as TargetAdapter & DirectoryGroupSync;
}

describe('SCIM connector against scim2-server', { skip }, () => {
  const view = serverView(() => server.tenants.connector!);
  let adapter: TargetAdapter;
  let deleting: TargetAdapter;
  before(async () => {
    adapter = adapterFor(server.tenants.connector!, { deleteMode: 'deactivate' });
    deleting = adapterFor(server.tenants.connector!, { deleteMode: 'delete' });
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
    assert.equal((await server.fetch('PATCH', `${server.tenants.connector}/Users/${accountId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Changed elsewhere' }] })).status, 204);
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
      const res = await server.fetch('PATCH', `${server.tenants.connector}/Users/${accountId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'nickName', value: 'set by an admin' }] });
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
    const raw = await server.fetch('PATCH', `${server.tenants.connector}/Users/${accountId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'x' }] });
    assert.deepEqual([raw.status, raw.body], [204, undefined]);
    const client = new ScimClient({ baseUrl: server.tenants.connector!, token: server.token, pageSize: 2, timeoutMs: 10_000 });
    const current = (await client.get('/Users', accountId))!;
    assert.equal(await client.patch('/Users', current, [{ op: 'replace', path: 'title', value: 'y' }]), undefined);
    assert.equal((await view.user(accountId))!.title, 'y');
  });

  test('a userName held by someone else is a DuplicateAccount, and no second account appears', async () => {
    await view.postUser('tp.taken@example.com', { externalId: 'someone-else' });
    await expectFailure(adapter.ensureAccount(desiredAccount('tp-intruder', { username: 'tp.taken@example.com', email: 'tp.taken@example.com' })), 'DuplicateAccount', true);
    assert.equal((await view.usersWhere('userName eq "tp.taken@example.com"')).length, 1);
  });
});

describe('SCIM directory groups against scim2-server', { skip }, () => {
  const view = serverView(() => server.tenants.groups!);
  let adapter: TargetAdapter & DirectoryGroupSync;
  const members: Record<string, string> = {};
  before(async () => {
    adapter = adapterFor(server.tenants.groups!, { groupSync: { directoryGroups: true } });
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
  const view = serverView(() => server.tenants.desk!);
  let fx: Fixture;
  let client: Client;
  let stack: TestStack | undefined;
  const queues = uniqueQueues('scim2');

  before(async () => {
    for (const name of ['Agents', 'Team Leads', 'Admins']) await view.postGroup(name);
    for (const name of ['Readers', 'Editors']) await serverView(() => server.tenants.wiki!).postGroup(name);
    const ldap = await createLdapFixture('scim2');
    // buildConfig only reads each target's base URL; both targets are tenants of the one scim2-server.
    const targets = { handles: { desk: { url: server.tenants.desk }, wiki: { url: server.tenants.wiki } }, tokens: { desk: server.token, wiki: server.token }, close: async () => undefined } as unknown as Emulators;
    const auditPath = join(testEnv.scratchDir('scim2'), 'audit.log');
    const config = buildConfig(ldap, targets, auditPath);
    const desk = { ...TEST_POLICY.targets.desk, attributes: { title: '{title}' } };
    config.policy = policyConfigSchema.parse({ ...TEST_POLICY, targets: { ...TEST_POLICY.targets, desk } });
    const env = { TEST_DESK_TOKEN: server.token, TEST_WIKI_TOKEN: server.token, IDSYNC_TEST_LDAP_PASSWORD: testEnv.ldap().bindPassword };
    const runtime = buildRuntime(config, env);
    fx = {
      ldap,
      emulators: targets,
      config,
      runtime,
      auditPath,
      env,
      close: async () => {
        await runtime.directory.close().catch(() => undefined);
        await ldap.close();
      },
    };
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
    assert.equal(await serverView(() => server.tenants.wiki!).usersWhere(`externalId eq "${anchor}"`).then((u) => u.length), 0, 'out of the wiki scope: no account');

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
    const config = scimConfigSchema.parse({ kind: 'scim', baseUrl: unfiltered.url, tokenEnv: 'SCIM2_TOKEN', pageSize: 100, groupSync: { directoryGroups: true } });
    adapter = scimTarget.createAdapter('scim2', config, { SCIM2_TOKEN: unfiltered.token }) as TargetAdapter & DirectoryGroupSync;
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
    const config = scimConfigSchema.parse({ kind: 'scim', baseUrl: putOnly.url, tokenEnv: 'SCIM2_TOKEN', pageSize: 50, groupSync: { directoryGroups: true } });
    adapter = scimTarget.createAdapter('scim2', config, { SCIM2_TOKEN: putOnly.token }) as TargetAdapter & DirectoryGroupSync;
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
