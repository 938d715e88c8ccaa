/**
 * The SCIM connector against the emulator over HTTP: idempotent ensures (twice in a row, and after a
 * crash between write and answer), no duplicate accounts, error classification, lifecycle and
 * group membership modes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScimEmulatorHandle } from '../../emulators/scim';
import type { TargetAdapter } from '../../targets/adapter';
import { desiredAccount, expectFailure, scimAdapter, scimFetch, startEmulator } from './support';

describe('SCIM connector against a versioned, hard-deleting SP with small pages', () => {
  let emulator: ScimEmulatorHandle;
  let token: string;
  let adapter: TargetAdapter;
  before(async () => {
    ({ emulator, token } = await startEmulator(
      { etag: true, deleteMode: 'hard', defaultPageSize: 2, maxPageSize: 3 },
      {
        groups: ['Agents', 'Team Leads', 'Admins'],
        users: [
          { userName: 'legacy@example.com', givenName: 'Leg', familyName: 'Acy' },
          { userName: 'taken@example.com', externalId: 'someone-else' },
          { userName: 'twin-a@example.com', externalId: 'twin' },
          { userName: 'twin-b@example.com', externalId: 'twin' },
        ],
      },
    ));
    adapter = scimAdapter(emulator, token, { deleteMode: 'delete' });
  });
  after(() => emulator.close());

  const usersWithAnchor = async (anchor: string) => (await emulator.state()).users.filter((u) => u.externalId === anchor);

  test('ensureAccount creates once; the second call changes nothing', async () => {
    const desired = desiredAccount('u-create', { attributes: { title: 'Agent', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'Support' } });
    const first = await adapter.ensureAccount(desired);
    assert.equal(first.created, true);
    assert.deepEqual(first.changes.map((c) => c.action), ['create']);
    const second = await adapter.ensureAccount(desired);
    assert.equal(second.created, false);
    assert.equal(second.accountId, first.accountId);
    assert.deepEqual(second.changes, []);
    const found = await adapter.findAccount({ anchor: 'u-create' });
    assert.equal(found?.attributes.title, 'Agent');
    assert.equal(found?.attributes['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'], 'Support');
  });

  test('an update sends only what differs', async () => {
    await adapter.ensureAccount(desiredAccount('u-update', { attributes: { title: 'Agent' } }));
    const result = await adapter.ensureAccount(desiredAccount('u-update', { familyName: 'Lovelace', attributes: { title: 'Lead' } }));
    assert.deepEqual(result.changes.map((c) => c.subject).sort(), ['displayName', 'name.familyName', 'title']);
  });

  test('the same person with a differently cased userName is matched, never duplicated', async () => {
    await adapter.ensureAccount(desiredAccount('u-case', { username: 'Mixed.Case@Example.com' }));
    const again = await adapter.ensureAccount(desiredAccount('u-case', { username: 'mixed.case@example.com' }));
    assert.equal(again.created, false);
    assert.equal((await usersWithAnchor('u-case')).length, 1);
    const byName = await adapter.findAccount({ anchor: 'not-stored', username: 'MIXED.CASE@EXAMPLE.COM' });
    assert.equal(byName, null, 'a userName linked to another anchor is not this person');
  });

  test('an existing account without externalId is linked by userName instead of recreated', async () => {
    const result = await adapter.ensureAccount(desiredAccount('u-legacy', { username: 'LEGACY@example.com', email: 'legacy@example.com' }));
    assert.equal(result.created, false);
    assert.ok(result.changes.some((c) => c.action === 'link' && c.subject === 'externalId'));
    assert.equal((await usersWithAnchor('u-legacy')).length, 1);
  });

  test('a userName held by another identity is a non-retryable DuplicateAccount', async () => {
    const err = await expectFailure(adapter.ensureAccount(desiredAccount('u-intruder', { username: 'Taken@example.com' })), 'DuplicateAccount', true);
    assert.match(err.message, /someone-else/);
    assert.match(err.message, /support-desk/);
  });

  test('two accounts with the same anchor are an AmbiguousMatch naming both', async () => {
    const twins = await usersWithAnchor('twin');
    const err = await expectFailure(adapter.findAccount({ anchor: 'twin' }), 'AmbiguousMatch', true);
    for (const twin of twins) assert.match(err.message, new RegExp(twin.id));
  });

  test('a crash after the create was applied (connection dropped) converges on re-run without a duplicate', async () => {
    // A rate rather than the queue: a queued dropAfterWrite is consumed by the lookups that precede the write.
    await emulator.setFaults({ dropAfterWriteRate: 1 });
    const desired = desiredAccount('u-crash');
    await expectFailure(adapter.ensureAccount(desired), 'NetworkError', false);
    await emulator.setFaults({ dropAfterWriteRate: 0 });
    assert.equal((await usersWithAnchor('u-crash')).length, 1, 'the write happened');
    const rerun = await adapter.ensureAccount(desired);
    assert.equal(rerun.created, false);
    assert.deepEqual(rerun.changes, []);
    assert.equal((await usersWithAnchor('u-crash')).length, 1);
  });

  test('a crash after a group grant converges on re-run', async () => {
    const { accountId } = await adapter.ensureAccount(desiredAccount('u-crash-group'));
    const grants = [{ kind: 'group', name: 'Agents' }];
    // The first call reads the groups (GET), then its PATCH is applied and the answer lost.
    await emulator.setFaults({ dropAfterWriteRate: 1 });
    await expectFailure(adapter.ensureEntitlements(accountId, grants, 'merge'), 'NetworkError', false);
    await emulator.setFaults({ dropAfterWriteRate: 0 });
    assert.deepEqual(await adapter.ensureEntitlements(accountId, grants, 'merge'), []);
    const agents = (await emulator.state()).groups.find((g) => g.displayName === 'Agents')!;
    assert.equal(agents.members.filter((m) => m.value === accountId).length, 1);
  });

  test('two concurrent updates of one account meet a 412, re-read and converge', async () => {
    await adapter.ensureAccount(desiredAccount('u-race', { attributes: { title: 'Agent' } }));
    const conflictsBefore = (await emulator.state()).versionConflicts;
    // Latency makes both calls read the account's version before either writes.
    await emulator.setFaults({ latencyMs: 250 });
    try {
      await Promise.all([
        adapter.ensureAccount(desiredAccount('u-race', { attributes: { title: 'Lead' } })),
        adapter.ensureAccount(desiredAccount('u-race', { attributes: { title: 'Lead', nickName: 'Racer' } })),
      ]);
    } finally {
      await emulator.setFaults({ latencyMs: 0 });
    }
    assert.ok((await emulator.state()).versionConflicts > conflictsBefore, 'the slower writer sent a stale If-Match');
    const account = await adapter.findAccount({ anchor: 'u-race' });
    assert.equal(account?.attributes.title, 'Lead');
    assert.equal((await usersWithAnchor('u-race')).length, 1);
  });

  test('errors are classified: 429 keeps Retry-After, 5xx retryable, bad token PermissionDenied without leaking it', async () => {
    await emulator.setFaults({ queue: ['rateLimit'] });
    const limited = await expectFailure(adapter.findAccount({ anchor: 'u-create' }), 'RateLimited', false);
    assert.equal(limited.nextRetryDelay, 1000);
    await emulator.setFaults({ queue: ['serverError'] });
    await expectFailure(adapter.findAccount({ anchor: 'u-create' }), 'ServerError', false);
    await emulator.setFaults({ queue: ['drop'] });
    await expectFailure(adapter.findAccount({ anchor: 'u-create' }), 'NetworkError', false);
    const wrong = scimAdapter(emulator, `${token}-wrong`);
    const denied = await expectFailure(wrong.findAccount({ anchor: 'u-create' }), 'PermissionDenied', true);
    assert.ok(!denied.message.includes(token), 'token must not appear in messages');
    await expectFailure(adapter.ensureEntitlements('nobody', [{ kind: 'group', name: 'No Such Group' }], 'merge'), 'UnknownEntitlement', true);
    await expectFailure(adapter.ensureEntitlements('nobody', [{ kind: 'role', name: 'Admin' }], 'merge'), 'UnknownEntitlement', true);
    await expectFailure(adapter.ensureAccount(desiredAccount('u-invalid', { username: '', email: '' })), 'ValidationError', true);
  });

  test('merge only grants; overwrite also revokes; both are idempotent', async () => {
    const { accountId } = await adapter.ensureAccount(desiredAccount('u-groups'));
    const both = [{ kind: 'group', name: 'Agents', rule: 'r1' }, { kind: 'group', name: 'admins', rule: 'r2' }];
    const granted = await adapter.ensureEntitlements(accountId, both, 'merge');
    assert.deepEqual(granted.map((c) => `${c.action} ${c.subject}`).sort(), ['grant group:Admins', 'grant group:Agents']);
    assert.deepEqual(await adapter.ensureEntitlements(accountId, both, 'merge'), []);
    const onlyAgents = [{ kind: 'group', name: 'Agents' }];
    assert.deepEqual(await adapter.ensureEntitlements(accountId, onlyAgents, 'merge'), [], 'merge never revokes');
    const revoked = await adapter.ensureEntitlements(accountId, onlyAgents, 'overwrite');
    assert.deepEqual(revoked.map((c) => `${c.action} ${c.subject}`), ['revoke group:Admins']);
    assert.deepEqual(await adapter.ensureEntitlements(accountId, onlyAgents, 'overwrite'), []);
    const state = await adapter.findAccount({ anchor: 'u-groups' });
    assert.deepEqual(state?.entitlements, [{ kind: 'group', name: 'Agents' }]);
  });

  test('suspend deactivates once; remove deletes; a rehire creates a fresh account', async () => {
    const { accountId } = await adapter.ensureAccount(desiredAccount('u-leaver'));
    const suspended = await adapter.suspend({ anchor: 'u-leaver' });
    assert.deepEqual(suspended.map((c) => c.action), ['suspend']);
    assert.deepEqual(await adapter.suspend({ anchor: 'u-leaver' }), []);
    assert.equal((await adapter.findAccount({ anchor: 'u-leaver' }))?.active, false);
    assert.deepEqual((await adapter.remove({ anchor: 'u-leaver' })).map((c) => c.action), ['remove']);
    assert.deepEqual(await adapter.remove({ anchor: 'u-leaver' }), []);
    const rehired = await adapter.ensureAccount(desiredAccount('u-leaver'));
    assert.equal(rehired.created, true);
    assert.notEqual(rehired.accountId, accountId);
  });

  test('listAccounts pages through more users than the SP page size; listCatalog lists groups', async () => {
    const anchors = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'].map((n) => `u-page-${n}`);
    for (const anchor of anchors) await adapter.ensureAccount(desiredAccount(anchor));
    const listed: string[] = [];
    for await (const account of adapter.listAccounts()) listed.push(account.anchor ?? account.username);
    const total = (await emulator.state()).users.length;
    assert.equal(listed.length, total);
    for (const anchor of anchors) assert.ok(listed.includes(anchor), anchor);
    assert.deepEqual(await adapter.listCatalog(), { group: ['Admins', 'Agents', 'Team Leads'] });
  });
});

describe('SCIM connector against a soft-deleting SP without ETags that omits empty Resources', () => {
  let emulator: ScimEmulatorHandle;
  let adapter: TargetAdapter;
  before(async () => {
    const started = await startEmulator({ deleteMode: 'soft', patchStatus: 204, etag: false, userNameMustBeEmail: true, omitEmptyResources: true });
    emulator = started.emulator;
    adapter = scimAdapter(emulator, started.token, { deleteMode: 'deactivate', userNameAttribute: 'email' });
  });
  after(() => emulator.close());

  test('remove leaves the account deactivated; the rehire reactivates the same account', async () => {
    const { accountId } = await adapter.ensureAccount(desiredAccount('s-rehire', { username: 'srehire' }));
    assert.deepEqual((await adapter.remove({ anchor: 's-rehire' })).map((c) => c.action), ['deactivate']);
    assert.deepEqual(await adapter.remove({ anchor: 's-rehire' }), []);
    const rehired = await adapter.ensureAccount(desiredAccount('s-rehire', { username: 'srehire' }));
    assert.equal(rehired.accountId, accountId);
    assert.equal(rehired.created, false);
    assert.deepEqual(rehired.changes.map((c) => c.action), ['activate']);
  });

  test('a deactivated account still blocks its userName, and the same person is reactivated rather than recreated', async () => {
    const { accountId } = await adapter.ensureAccount(desiredAccount('s-pre', { active: false }));
    assert.equal((await adapter.findAccount({ anchor: 's-pre' }))?.active, false);
    const activated = await adapter.ensureAccount(desiredAccount('s-pre', { email: 'S-PRE@example.com' }));
    assert.equal(activated.accountId, accountId);
    assert.ok(activated.changes.some((c) => c.action === 'activate'));
  });

  test('an SP rule violation (userName must be an email) is a ValidationError naming the field', async () => {
    const err = await expectFailure(adapter.ensureAccount(desiredAccount('s-bad', { email: 'not-an-email' })), 'ValidationError', true);
    assert.match(err.message, /userName/);
  });
});

describe('SCIM connector against an SP without PATCH, discovered at /ServiceProviderConfigs', () => {
  let emulator: ScimEmulatorHandle;
  let adapter: TargetAdapter;
  let call: ReturnType<typeof scimFetch>;
  before(async () => {
    const started = await startEmulator({ patchSupported: false, etag: true, serviceProviderConfigPath: 'ServiceProviderConfigs' });
    emulator = started.emulator;
    adapter = scimAdapter(emulator, started.token);
    call = scimFetch(emulator, started.token);
  });
  after(() => emulator.close());

  test('the SP refuses PATCH with 501 and says so in ServiceProviderConfig', async () => {
    assert.equal((await call('GET', '/ServiceProviderConfig')).status, 404, 'only the plural name is served');
    assert.equal((await call('GET', '/ServiceProviderConfigs')).body!.patch.supported, false);
    const patch = await call('PATCH', '/Users/any', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] });
    assert.equal(patch.status, 501);
  });

  test('updates, group membership and suspension fall back to PUT of the full resource', async () => {
    const dept = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department';
    const { accountId } = await adapter.ensureAccount(desiredAccount('n-put', { attributes: { title: 'Agent', [dept]: 'Support' } }));
    const updated = await adapter.ensureAccount(desiredAccount('n-put', { attributes: { title: 'Lead', [dept]: null } }));
    assert.deepEqual(updated.changes.map((c) => c.subject).sort(), ['title', dept]);
    const account = await adapter.findAccount({ anchor: 'n-put' });
    assert.equal(account?.attributes.title, 'Lead');
    assert.equal(account?.attributes[dept], undefined);
    assert.equal(account?.anchor, 'n-put', 'PUT kept the attributes it did not change');
    await adapter.ensureEntitlements(accountId, [{ kind: 'group', name: 'Agents' }, { kind: 'group', name: 'Admins' }], 'merge');
    await adapter.ensureEntitlements(accountId, [{ kind: 'group', name: 'Agents' }], 'overwrite');
    assert.deepEqual((await adapter.findAccount({ anchor: 'n-put' }))?.entitlements, [{ kind: 'group', name: 'Agents' }]);
    assert.deepEqual((await adapter.suspend({ anchor: 'n-put' })).map((c) => c.action), ['suspend']);
    assert.equal((await adapter.findAccount({ anchor: 'n-put' }))?.active, false);
  });
});
