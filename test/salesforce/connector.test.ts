/**
 * The Salesforce adapter end to end: real jsforce over HTTP against the emulator. Checks the
 * ensure semantics (idempotent, crash-safe, never a second account) and the lifecycle paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { SalesforceSeed } from '../../emulators/salesforce';
import type { AccountState } from '../../domain/account';
import { SalesforceAdapter, salesforceConfigSchema } from '../../targets/salesforce';
import { defaultJwtAudience } from '../../targets/salesforce/connection';
import { adapterFor, failure, idOf, person, withEmulator } from './helpers';

const SEED: SalesforceSeed = {
  userLicenses: { Salesforce: 20, 'Chatter Free': 20 },
  profiles: [{ name: 'Standard User', license: 'Salesforce' }, { name: 'Marketing User', license: 'Salesforce' }, { name: 'Chatter Free User', license: 'Chatter Free' }],
  roles: [{ name: 'CEO' }, { name: 'Sales Rep EMEA', parent: 'CEO' }],
  permissionSetLicenses: [{ name: 'Sales Cloud Einstein', total: 5 }],
  permissionSets: [{ name: 'Sales_Ops', label: 'Sales Operations' }, { name: 'Sales_Einstein', permissionSetLicense: 'Sales Cloud Einstein' }, { name: 'Break_Glass' }],
  publicGroups: ['All Sales', 'Sales EMEA'],
};

const sortedEntitlements = (state: AccountState | null) => (state?.entitlements ?? []).map((e) => `${e.kind}:${e.name}`).sort();

test('ensureAccount creates once; a second run finds the account and writes nothing', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person({ attributes: { Department: 'Sales', Title: 'Rep' } });
    const first = await adapter.ensureAccount(desired);
    assert.equal(first.created, true);
    const writes = emu.store.writes;
    const second = await adapter.ensureAccount(desired);
    assert.deepEqual([second.created, second.accountId, second.changes], [false, first.accountId, []]);
    assert.equal(emu.store.writes, writes);
    const state = await adapter.findAccount({ anchor: desired.anchor });
    assert.equal(state?.attributes.Department, 'Sales');
    assert.equal(state?.attributes.Alias, 'alovelac', 'alias derived from the names, 8 characters');
    assert.equal(state?.anchor, desired.anchor);
    assert.deepEqual(sortedEntitlements(state), ['profile:Standard User']);
    const updated = await adapter.ensureAccount({ ...desired, attributes: { Department: 'Marketing', Title: 'Rep' } });
    assert.deepEqual(updated.changes.map((c) => [c.action, c.subject, c.before, c.after]), [['update', 'Department', 'Sales', 'Marketing']]);
  }));

test('the same person twice, and again with different letter case, is one account', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    const a = await adapter.ensureAccount(desired);
    const b = await adapter.ensureAccount(desired);
    const shouted = await adapter.ensureAccount({ ...desired, username: desired.username.toUpperCase(), email: desired.email.toUpperCase() });
    assert.equal(new Set([a.accountId, b.accountId, shouted.accountId]).size, 1);
    assert.deepEqual(shouted.changes, [], 'username and email compare case-insensitively');
    const users = () => emu.store.rows('User').filter((u) => String(u.Username) === desired.username.toLowerCase()).length;
    assert.equal(users(), 1);
  }));

test('crash after the write (answer lost) then re-run: no duplicate account, no duplicate assignment', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    emu.faults.set({ dropAfterWriteRate: 1 });
    const lost = await failure(adapter.ensureAccount(desired));
    emu.faults.reset();
    assert.ok(lost instanceof ApplicationFailure && !lost.nonRetryable, `a lost answer is retryable: ${lost.message}`);
    assert.equal(lost.type, 'NetworkError');
    const rerun = await adapter.ensureAccount(desired);
    assert.equal(rerun.created, false);
    assert.equal(emu.store.rows('User').filter((u) => u.FederationIdentifier === desired.anchor).length, 1);

    emu.faults.set({ dropAfterWriteRate: 1 });
    await failure(adapter.ensureEntitlements(rerun.accountId, [{ kind: 'permissionSet', name: 'Sales_Ops' }], 'merge'));
    emu.faults.reset();
    const changes = await adapter.ensureEntitlements(rerun.accountId, [{ kind: 'permissionSet', name: 'Sales_Ops' }], 'merge');
    assert.deepEqual(changes, [], 'the assignment made before the crash is seen, not repeated');
    assert.equal(emu.store.rows('PermissionSetAssignment').filter((a) => a.AssigneeId === rerun.accountId && a.PermissionSetId === idOf(emu, 'PermissionSet', 'Sales_Ops')).length, 1);
  }));

test('matching: anchor first, link by username, ambiguous username/email names both users', () =>
  withEmulator(
    {
      seed: {
        ...SEED,
        users: [
          { Username: 'legacy@example.com', LastName: 'Legacy', Email: 'legacy@example.com', profile: 'Standard User' },
          { Username: 'renamed-old@example.com', LastName: 'Renamed', Email: 'renamed@example.com', profile: 'Standard User', FederationIdentifier: 'anchor-renamed' },
          { Username: 'one@example.com', LastName: 'One', Email: 'one@example.com', profile: 'Standard User' },
          { Username: 'two@example.com', LastName: 'Two', Email: 'shared@example.com', profile: 'Standard User' },
        ],
      },
    },
    async (emu) => {
      const adapter = adapterFor(emu);
      const legacyId = idOf(emu, 'User', 'legacy@example.com', 'Username');
      const linked = await adapter.ensureAccount(person({ anchor: 'anchor-legacy', username: 'LEGACY@example.com', email: 'legacy@example.com', familyName: 'Legacy', givenName: undefined, attributes: {} }));
      assert.equal(linked.accountId, legacyId);
      assert.deepEqual(linked.changes.map((c) => [c.action, c.subject]), [['link', 'FederationIdentifier']]);
      assert.equal(emu.store.get('User', legacyId).FederationIdentifier, 'anchor-legacy');

      const renamedId = idOf(emu, 'User', 'renamed-old@example.com', 'Username');
      const byAnchor = await adapter.ensureAccount(person({ anchor: 'anchor-renamed', username: 'renamed-new@example.com', email: 'renamed@example.com', familyName: 'Renamed', givenName: undefined, attributes: {} }));
      assert.equal(byAnchor.accountId, renamedId);
      assert.deepEqual(byAnchor.changes.map((c) => [c.action, c.subject, c.after]), [['update', 'Username', 'renamed-new@example.com']]);

      const anchorWins = await adapter.findAccount({ anchor: 'anchor-renamed', username: 'one@example.com', email: 'shared@example.com' });
      assert.equal(anchorWins?.id, renamedId, 'the anchor decides even when username and email point at other users');

      const ambiguous = await failure(adapter.findAccount({ anchor: 'anchor-new', username: 'one@example.com', email: 'shared@example.com' }));
      assert.ok(ambiguous instanceof ApplicationFailure);
      assert.equal(ambiguous.type, 'AmbiguousMatch');
      assert.equal(ambiguous.nonRetryable, true);
      assert.ok(ambiguous.message.includes(idOf(emu, 'User', 'one@example.com', 'Username')) && ambiguous.message.includes(idOf(emu, 'User', 'two@example.com', 'Username')), ambiguous.message);
      assert.match(ambiguous.message, /identity anchor-new/);
    },
  ));

test('entitlements: ensure twice is one set of writes; overwrite revokes only managed grants; merge never revokes', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu, { ignoreEntitlements: ['permissionSet:Break_Glass'] });
    const { accountId } = await adapter.ensureAccount(person());
    const desired = [
      { kind: 'profile', name: 'marketing user' },
      { kind: 'role', name: 'Sales Rep EMEA' },
      { kind: 'permissionSet', name: 'Sales_Einstein' },
      { kind: 'permissionSetLicense', name: 'Sales Cloud Einstein' },
      { kind: 'publicGroup', name: 'Sales EMEA' },
    ];
    const granted = await adapter.ensureEntitlements(accountId, desired, 'overwrite');
    assert.deepEqual(granted.map((c) => `${c.action} ${c.subject}`), [
      'update profile',
      'update role',
      'grant permissionSetLicense:Sales Cloud Einstein',
      'grant permissionSet:Sales_Einstein',
      'grant publicGroup:Sales EMEA',
    ]);
    const writes = emu.store.writes;
    assert.deepEqual(await adapter.ensureEntitlements(accountId, desired, 'overwrite'), []);
    assert.equal(emu.store.writes, writes, 'second run writes nothing');

    // Granted outside idsync: Break_Glass is ignored (never revoked), Sales_Ops is managed.
    await adapter.ensureEntitlements(accountId, [...desired, { kind: 'permissionSet', name: 'Sales_Ops' }, { kind: 'permissionSet', name: 'Break_Glass' }], 'merge');
    assert.deepEqual(await adapter.ensureEntitlements(accountId, desired.slice(0, 2), 'merge'), [], 'merge never revokes');
    const revoked = await adapter.ensureEntitlements(accountId, desired.slice(0, 1), 'overwrite');
    assert.deepEqual(revoked.map((c) => `${c.action} ${c.subject}`).sort(), [
      'revoke permissionSet:Sales_Einstein',
      'revoke permissionSet:Sales_Ops',
      'revoke permissionSetLicense:Sales Cloud Einstein',
      'revoke publicGroup:Sales EMEA',
      'update role',
    ]);
    const state = await adapter.findAccount({ anchor: emu.store.get('User', accountId).FederationIdentifier as string });
    assert.deepEqual(sortedEntitlements(state), ['permissionSet:Break_Glass', 'profile:Marketing User']);
  }));

test('overwrite keeps a license that an ignored (unmanaged) permission set still needs', () =>
  withEmulator({ seed: { ...SEED, permissionSets: [...SEED.permissionSets!, { name: 'Einstein_Admin', permissionSetLicense: 'Sales Cloud Einstein' }] } }, async (emu) => {
    const adapter = adapterFor(emu, { ignoreEntitlements: ['permissionSet:Einstein_Admin'] });
    const desired = person();
    const { accountId } = await adapter.ensureAccount(desired);
    await adapter.ensureEntitlements(accountId, [{ kind: 'permissionSetLicense', name: 'Sales Cloud Einstein' }, { kind: 'permissionSet', name: 'Einstein_Admin' }], 'merge');
    assert.deepEqual(await adapter.ensureEntitlements(accountId, [], 'overwrite'), [], 'nothing revocable: the set is ignored and the license is still needed by it');
    const state = await adapter.findAccount({ anchor: desired.anchor });
    assert.deepEqual(sortedEntitlements(state), ['permissionSet:Einstein_Admin', 'permissionSetLicense:Sales Cloud Einstein', 'profile:Standard User']);
  }));

test('suspend freezes (or deactivates), re-ensure unsuspends, remove deactivates and strips grants', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const freezer = adapterFor(emu);
    const desired = person({ entitlements: [{ kind: 'profile', name: 'Standard User' }] });
    const { accountId } = await freezer.ensureAccount(desired);
    await freezer.ensureEntitlements(accountId, [{ kind: 'permissionSet', name: 'Sales_Ops' }, { kind: 'publicGroup', name: 'All Sales' }], 'merge');
    const match = { anchor: desired.anchor };
    assert.deepEqual((await freezer.suspend(match)).map((c) => c.action), ['suspend']);
    assert.deepEqual(await freezer.suspend(match), []);
    let state = await freezer.findAccount(match);
    assert.deepEqual([state?.active, state?.suspended], [false, true]);
    assert.equal(emu.store.find('UserLogin', (l) => l.UserId === accountId)?.IsFrozen, true);
    const rehired = await freezer.ensureAccount(desired);
    assert.deepEqual(rehired.changes.map((c) => c.action), ['unsuspend']);

    const deactivator = adapterFor(emu, { suspendMode: 'deactivate' });
    assert.deepEqual((await deactivator.suspend(match)).map((c) => c.action), ['deactivate']);
    assert.equal(emu.store.get('User', accountId).IsActive, false);
    assert.deepEqual((await deactivator.ensureAccount(desired)).changes.map((c) => c.action), ['activate']);

    const removed = await freezer.remove(match);
    assert.deepEqual(removed.map((c) => `${c.action} ${c.subject}`), ['deactivate IsActive', 'revoke permissionSet:Sales_Ops', 'revoke publicGroup:All Sales']);
    assert.deepEqual(await freezer.remove(match), []);
    state = await freezer.findAccount(match);
    assert.deepEqual(sortedEntitlements(state), ['profile:Standard User'], 'profile stays: every user has one');
    assert.deepEqual(await freezer.remove({ anchor: 'nobody' }), []);
  }));

test('group sync: create by name, rename by DeveloperName, delete only managed groups, merge membership', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const strict = adapterFor(emu);
    const { accountId } = await strict.ensureAccount(person());
    const unknown = await failure(strict.ensureEntitlements(accountId, [{ kind: 'publicGroup', name: 'Brand New' }], 'merge'));
    assert.equal((unknown as ApplicationFailure).type, 'UnknownEntitlement');

    const sync = adapterFor(emu, { groupSync: { createMissing: true, renameByDeveloperName: true, deleteUnmanaged: true, membership: 'merge' } });
    const created = await sync.ensureEntitlements(accountId, [{ kind: 'publicGroup', name: 'Brand New' }], 'overwrite');
    assert.deepEqual(created.map((c) => `${c.action} ${c.subject}`), ['create publicGroup:Brand New', 'grant publicGroup:Brand New']);
    assert.equal(emu.store.find('Group', (g) => g.Name === 'Brand New')?.DeveloperName, 'idsync_Brand_New');

    await sync.ensureEntitlements(accountId, [{ kind: 'publicGroup', name: 'All Sales' }], 'overwrite');
    assert.equal(emu.store.rows('GroupMember').filter((m) => m.UserOrGroupId === accountId).length, 2, 'membership merge: nothing removed');

    const renamed = await sync.syncGroups([{ name: 'Brand Newer', developerName: 'idsync_Brand_New' }, { name: 'Team X' }]);
    assert.deepEqual(renamed.map((c) => `${c.action} ${c.subject}`), ['update publicGroup:idsync_Brand_New', 'create publicGroup:Team X']);
    assert.equal(emu.store.find('Group', (g) => g.DeveloperName === 'idsync_Brand_New')?.Name, 'Brand Newer');
    assert.deepEqual(await sync.syncGroups([{ name: 'Brand Newer', developerName: 'idsync_Brand_New' }, { name: 'Team X' }]), []);

    const deleted = await sync.syncGroups([{ name: 'Team X' }]);
    assert.deepEqual(deleted.map((c) => `${c.action} ${c.subject}`), ['remove publicGroup:Brand Newer']);
    assert.ok(emu.store.find('Group', (g) => g.Name === 'All Sales'), 'groups without the managed prefix are never deleted');
    assert.equal(emu.store.rows('GroupMember').filter((m) => m.UserOrGroupId === accountId).length, 1);
  }));

test('listAccounts pages through every user with grants; listCatalog; lastActivityAt from LastLoginDate', () =>
  withEmulator(
    {
      queryBatchSize: 2,
      seed: { ...SEED, users: [{ Username: 'seen@example.com', LastName: 'Seen', Email: 'seen@example.com', profile: 'Standard User', LastLoginDate: '2026-01-02T03:04:05.000+0000', permissionSets: ['Sales_Ops'], groups: ['All Sales'] }] },
    },
    async (emu) => {
      const adapter = adapterFor(emu);
      for (let i = 0; i < 5; i++) await adapter.ensureAccount(person());
      const listed: AccountState[] = [];
      for await (const account of adapter.listAccounts()) listed.push(account);
      assert.equal(listed.length, 6);
      assert.equal(new Set(listed.map((a) => a.id)).size, 6);
      const seen = listed.find((a) => a.username === 'seen@example.com')!;
      assert.equal(seen.lastActivityAt, '2026-01-02T03:04:05.000Z');
      assert.deepEqual(sortedEntitlements(seen), ['permissionSet:Sales_Ops', 'profile:Standard User', 'publicGroup:All Sales']);
      assert.deepEqual(Object.keys(seen.attributes).sort(), ['Alias', 'CommunityNickname', 'CompanyName', 'Department', 'Division', 'EmailEncodingKey', 'EmployeeNumber', 'LanguageLocaleKey', 'LocaleSidKey', 'Title', 'TimeZoneSidKey'].sort());
      const catalog = await adapter.listCatalog();
      assert.deepEqual(catalog.permissionSet, ['Break_Glass', 'Sales_Einstein', 'Sales_Ops'], 'profile-owned permission sets are not offered');
      assert.deepEqual(catalog.publicGroup, ['All Sales', 'Sales EMEA']);
      assert.deepEqual(catalog.role, ['CEO', 'Sales Rep EMEA']);
    },
  ));

test('listAccounts keeps every user when Salesforce sends larger batches than the page size asked for (batchSize is at least 200)', () =>
  withEmulator(
    {
      queryBatchSize: 2000,
      seed: {
        ...SEED,
        userLicenses: { Salesforce: 1000, 'Chatter Free': 10 },
        users: Array.from({ length: 450 }, (_, i) => ({ Username: `bulk${i}@example.com`, LastName: `Bulk${i}`, Email: `bulk${i}@example.com`, profile: 'Standard User' })),
      },
    },
    async (emu) => {
      const adapter = adapterFor(emu, { pageSize: 50 });
      const ids = new Set<string>();
      for await (const account of adapter.listAccounts()) ids.add(account.id);
      assert.equal(ids.size, 450, 'every seeded user, each once');
    },
  ));

test('license limit: creating past the seat count is a non-retryable LicenseLimit; inactive pre-creation is allowed', () =>
  withEmulator({ seed: { ...SEED, userLicenses: { Salesforce: 1, 'Chatter Free': 1 } } }, async (emu) => {
    const adapter = adapterFor(emu);
    await adapter.ensureAccount(person());
    const denied = await failure(adapter.ensureAccount(person()));
    assert.equal((denied as ApplicationFailure).type, 'LicenseLimit');
    assert.equal((denied as ApplicationFailure).nonRetryable, true);
    const future = person({ active: false });
    const created = await adapter.ensureAccount(future);
    assert.equal(created.created, true);
    assert.equal((await failure(adapter.ensureAccount({ ...future, active: true })) as ApplicationFailure).type, 'LicenseLimit');
  }));

test('sessions: an expired token is renewed by re-running the grant; JWT bearer flow works end to end', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clients = [{ clientId: 'jwt-app', clientSecret: 'unused', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() }, { clientId: 'idsync-emulator-client', clientSecret: 'idsync-emulator-secret' }];
  const seed = { ...SEED, users: [{ Username: 'integration@example.com', LastName: 'Integration', Email: 'i@example.com', profile: 'Standard User' }] };
  return withEmulator({ clients, seed }, async (emu) => {
    const adapter = adapterFor(emu);
    await adapter.ensureAccount(person());
    const grants = emu.oauth.grants;
    emu.expireTokens();
    await adapter.ensureAccount(person());
    assert.equal(emu.oauth.grants, grants + 1);

    const jwtConfig = { auth: { flow: 'jwt', clientId: 'jwt-app', privateKeyEnv: 'SF_KEY', username: 'integration@example.com', audience: 'https://login.salesforce.com' } };
    
    const config = salesforceConfigSchema.parse({ kind: 'salesforce', loginUrl: emu.url, defaults: { profile: 'Standard User' }, ...jwtConfig });
    const jwtAdapter = new SalesforceAdapter('sf-jwt', config, { SF_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const created = await jwtAdapter.ensureAccount(person());
    assert.equal(created.created, true);
  });
});

test('config: https login URL (plain http only on loopback), explicit defaults, secrets named by variable', () => {
  const base = { kind: 'salesforce', auth: { flow: 'client_credentials', clientId: 'cid', clientSecretEnv: 'SF_SECRET' } };
  assert.equal(salesforceConfigSchema.safeParse({ ...base, loginUrl: 'http://login.example.com' }).success, false);
  const parsed = salesforceConfigSchema.parse({ ...base, loginUrl: 'https://acme.my.salesforce.com/' });
  assert.equal(parsed.loginUrl, 'https://acme.my.salesforce.com');
  assert.deepEqual([parsed.apiVersion, parsed.suspendMode, parsed.httpRetries, parsed.groupSync.membership], ['62.0', 'freeze', 0, 'overwrite']);
  assert.equal(salesforceConfigSchema.safeParse({ ...base, loginUrl: 'http://127.0.0.1:4100' }).success, true);
  assert.throws(() => new SalesforceAdapter('sf-cfg', parsed, {}), /environment variable SF_SECRET is not set/);
  assert.deepEqual(
    ['https://acme.my.salesforce.com', 'https://acme--uat.sandbox.my.salesforce.com', 'https://test.salesforce.com', 'http://127.0.0.1:4100'].map(defaultJwtAudience),
    ['https://login.salesforce.com', 'https://test.salesforce.com', 'https://test.salesforce.com', 'http://127.0.0.1:4100'],
  );
});
