/**
 * Contract tests: the real jsforce client against the Salesforce emulator over HTTP, replaying
 * what shared/contracts/salesforce.md says the real API does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { spawn } from 'node:child_process';
import { Connection } from 'jsforce';
import { signJwtAssertion } from '../../targets/salesforce/connection';
import { CLIENT, failure, idOf, jsforceConnection, userFields, withEmulator } from './helpers';

test('client credentials: the token response instance_url and id are adopted by jsforce', () =>
  withEmulator({}, async (emu) => {
    const conn = await jsforceConnection(emu);
    assert.equal(conn.instanceUrl, emu.url);
    assert.equal(conn.userInfo?.organizationId, emu.store.orgId);
    const res = await conn.query<{ Name: string }>("SELECT Name FROM Profile WHERE Name = 'standard user'");
    assert.deepEqual(res.records.map((r) => r.Name), ['Standard User']);
    assert.equal(conn.limitInfo.apiUsage?.limit, 100_000);
    const identity = await conn.identity();
    assert.equal(identity.organization_id, emu.store.orgId);
    const global = await conn.describeGlobal();
    assert.ok(global.sobjects.some((o) => o.name === 'PermissionSetLicenseAssign'));

    const bad = new Connection({ loginUrl: emu.url, version: '59.0', oauth2: { clientId: CLIENT.clientId, clientSecret: 'wrong' } });
    const err = await failure(bad.authorize({ grant_type: 'client_credentials' }));
    assert.equal(err.name, 'invalid_client');
    const unknown = new Connection({ loginUrl: emu.url, version: '59.0', oauth2: { clientId: 'nope', clientSecret: 'x' } });
    assert.equal((await failure(unknown.authorize({ grant_type: 'client_credentials' }))).name, 'invalid_client_id');
  }));

test('JWT bearer: a signed assertion for an active user gets a token; a forged one does not', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clients = [{ clientId: 'jwt-app', clientSecret: 'unused', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() }];
  return withEmulator({ clients, seed: { users: [{ Username: 'integration@example.com', LastName: 'Integration', Email: 'i@example.com', profile: 'Standard User' }] } }, async (emu) => {
    const jwt = (key: string, sub = 'Integration@example.com') => signJwtAssertion('jwt-app', sub, 'https://login.salesforce.com', key);
    const conn = new Connection({ loginUrl: emu.url, version: '59.0' });
    await conn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt(privatePem) });
    assert.equal(conn.userInfo?.id, idOf(emu, 'User', 'integration@example.com', 'Username'));
    const forged = await failure(new Connection({ loginUrl: emu.url }).authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt(other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) }));
    assert.equal(forged.name, 'invalid_grant');
    const stranger = await failure(new Connection({ loginUrl: emu.url }).authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt(privatePem, 'nobody@example.com') }));
    assert.equal(stranger.name, 'invalid_grant');
    assert.match(stranger.message, /approved/);
  });
});

test('username-password flow: no refresh token; jsforce renews an expired session by logging in again', () =>
  withEmulator({ seed: { users: [{ Username: 'admin@example.com', LastName: 'Admin', Email: 'admin@example.com', profile: 'Standard User', password: 'pw+token' }] } }, async (emu) => {
    const conn = new Connection({ loginUrl: emu.url, version: '59.0', oauth2: { clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret } });
    await conn.login('ADMIN@example.com', 'pw+token');
    assert.equal(conn.userInfo?.id, idOf(emu, 'User', 'admin@example.com', 'Username'));
    assert.equal(conn.refreshToken, undefined);
    const grants = emu.oauth.grants;
    emu.expireTokens();
    assert.ok((await conn.query('SELECT Id FROM Profile')).totalSize > 0);
    assert.equal(emu.oauth.grants, grants + 1, 'a second password grant');
    const wrong = new Connection({ loginUrl: emu.url, version: '59.0', oauth2: { clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret } });
    assert.equal((await failure(wrong.login('admin@example.com', 'nope'))).name, 'invalid_grant');
  }));

test('create 201, update 204, delete 204; User delete is 405; retrieve returns attributes', () =>
  withEmulator({}, async (emu) => {
    const conn = await jsforceConnection(emu);
    const created = await conn.sobject('User').create(userFields(idOf(emu, 'Profile', 'Standard User'), 'crud@example.com'));
    assert.equal(created.success, true);
    const updated = await conn.sobject('User').update({ Id: created.id!, Title: 'Engineer' });
    assert.deepEqual(updated, { id: created.id, success: true, errors: [] });
    const user = await conn.sobject('User').retrieve(created.id!);
    assert.equal(user.Title, 'Engineer');
    assert.equal(user.attributes?.type, 'User');
    const denied = await failure(conn.sobject('User').destroy(created.id!));
    assert.equal(denied.errorCode, 'METHOD_NOT_ALLOWED');
    const psa = await conn.sobject('PermissionSetAssignment').create({ AssigneeId: created.id, PermissionSetId: idOf(emu, 'PermissionSet', 'Service_Console') });
    assert.deepEqual(await conn.sobject('PermissionSetAssignment').destroy(psa.id!), { id: psa.id, success: true, errors: [] });
    const login = await conn.query<{ IsFrozen: boolean }>(`SELECT Id, IsFrozen FROM UserLogin WHERE UserId = '${created.id!.slice(0, 15)}'`);
    assert.deepEqual(login.records.map((r) => r.IsFrozen), [false], 'a UserLogin row exists per user; 15-char ids match');
  }));

test('query paging: locators with autoFetch, queryMore by hand, expired locator', () =>
  withEmulator({ queryBatchSize: 2 }, async (emu) => {
    const conn = await jsforceConnection(emu);
    const all = await conn.query<{ Name: string }>('SELECT Id, Name FROM PermissionSet ORDER BY Name', { autoFetch: true });
    assert.equal(all.records.length, emu.store.rows('PermissionSet').length);
    assert.equal(all.totalSize, all.records.length);
    const first = await conn.query<{ Name: string }>('SELECT Id, Name FROM PermissionSet ORDER BY Name DESC');
    assert.equal(first.done, false);
    assert.equal(first.records.length, 2);
    const second = await conn.queryMore(first.nextRecordsUrl!);
    assert.equal(second.records.length, 2);
    assert.notEqual(second.records[0].Name, first.records[0].Name);
    const expired = await failure(conn.queryMore(`${emu.url}/services/data/v59.0/query/01gNOPE-2`));
    assert.equal(expired.errorCode, 'INVALID_QUERY_LOCATOR');
    const oldest = await conn.query('SELECT Id FROM PermissionSet');
    for (let i = 0; i < 50; i++) await conn.query('SELECT Id FROM PermissionSet');
    assert.equal((await failure(conn.queryMore(oldest.nextRecordsUrl!))).errorCode, 'INVALID_QUERY_LOCATOR', 'open cursors are bounded');
    const count = await conn.query('SELECT count() FROM Profile');
    assert.deepEqual([count.totalSize, count.records.length], [3, 0]);
  }));

test('SOQL subset: parents, semi-join, IN/LIKE/NOT, escapes, case-insensitive equality, errors', () =>
  withEmulator(
    {
      seed: {
        profiles: [{ name: 'Standard User', license: 'Salesforce' }],
        users: [
          { Username: "o'brien@example.com", LastName: "O'Brien", Email: 'ob@example.com', profile: 'Standard User', FederationIdentifier: "a'1" },
          { Username: 'zed@example.com', LastName: 'Zed', Email: 'zed@example.com', profile: 'Standard User', IsActive: false },
        ],
      },
    },
    async (emu) => {
      const conn = await jsforceConnection(emu);
      const q = async (soql: string) => (await conn.query<Record<string, unknown>>(soql, { autoFetch: true })).records;
      const [obrien] = await q("SELECT Id, Profile.Name, UserRole.Name FROM User WHERE FederationIdentifier IN ('a\\'1', 'x')");
      assert.deepEqual([(obrien.Profile as { Name: string }).Name, obrien.UserRole], ['Standard User', null]);
      const zedId = idOf(emu, 'User', 'zed@example.com', 'Username');
      await conn.sobject('UserLogin').update({ Id: emu.store.find('UserLogin', (l) => l.UserId === zedId)!.Id as string, IsFrozen: true });
      assert.deepEqual((await q('SELECT Username FROM User WHERE Id IN (SELECT UserId FROM UserLogin WHERE IsFrozen = true)')).map((r) => r.Username), ['zed@example.com']);
      assert.deepEqual((await q("SELECT Username FROM User WHERE NOT Username LIKE 'O%' AND (IsActive = false OR Email = null)")).map((r) => r.Username), ['zed@example.com']);
      assert.deepEqual((await q("SELECT Username FROM User WHERE email = 'ZED@EXAMPLE.COM' AND FederationIdentifier = null")).length, 1);
      assert.deepEqual((await q('SELECT LastName FROM User ORDER BY LastName DESC LIMIT 1 OFFSET 1')).map((r) => r.LastName), ["O'Brien"]);
      assert.equal((await failure(q('SELECT Nope FROM User'))).errorCode, 'INVALID_FIELD');
      assert.equal((await failure(q('SELECT Id FROM Nope'))).errorCode, 'INVALID_TYPE');
      assert.equal((await failure(q('SELECT Id FROM User WHERE'))).errorCode, 'MALFORMED_QUERY');
    },
  ));

test('sObject collections: one failing record does not stop the others; allOrNone rolls back', () =>
  withEmulator({}, async (emu) => {
    const conn = await jsforceConnection(emu);
    const profileId = idOf(emu, 'Profile', 'Standard User');
    const results = await conn.sobject('User').create([userFields(profileId, 'c1@example.com'), userFields(profileId, 'C1@example.com'), userFields(profileId, 'c2@example.com')]);
    assert.deepEqual(results.map((r) => r.success), [true, false, true]);
    const failed = results[1] as unknown as { errors: Array<{ statusCode: string; fields: string[] }> };
    assert.equal(failed.errors[0].statusCode, 'DUPLICATE_USERNAME');
    const ids = results.filter((r) => r.success).map((r) => r.id!);
    const patched = await conn.sobject('User').update(ids.map((id) => ({ Id: id, Title: 'Batch' })));
    assert.deepEqual(patched.map((r) => r.success), [true, true]);
    assert.deepEqual(ids.map((id) => emu.store.get('User', id).Title), ['Batch', 'Batch']);
    const group = idOf(emu, 'Group', 'All Sales');
    const members = await conn.sobject('GroupMember').create(ids.map((id) => ({ GroupId: group, UserOrGroupId: id })));
    const removed = await conn.sobject('GroupMember').destroy(members.map((m) => m.id!));
    assert.deepEqual(removed.map((r) => r.success), [true, true]);
    assert.equal(emu.store.rows('GroupMember').length, 0);
    const before = emu.store.rows('User').length;
    const rolledBack = await conn.sobject('User').create([userFields(profileId, 'c3@example.com'), userFields(profileId, 'c1@example.com')], { allOrNone: true });
    assert.deepEqual(rolledBack.map((r) => r.success), [false, false]);
    assert.equal(emu.store.rows('User').length, before);
  }));

test('expired token: 401 INVALID_SESSION_ID, then the refresh function re-runs the grant and the call succeeds', () =>
  withEmulator({ tokenTtlMs: 60_000 }, async (emu) => {
    const conn = await jsforceConnection(emu);
    const grantsBefore = emu.oauth.grants;
    emu.expireTokens();
    const res = await conn.sobject('User').create(userFields(idOf(emu, 'Profile', 'Standard User'), 'refresh@example.com'));
    assert.equal(res.success, true);
    assert.equal(emu.oauth.grants, grantsBefore + 1);
    const bare = new Connection({ instanceUrl: emu.url, accessToken: 'stale', version: '59.0' });
    assert.equal((await failure(bare.query('SELECT Id FROM User'))).errorCode, 'INVALID_SESSION_ID');
  }));

test('tokens expire after tokenTtlMs and the connection renews itself', () =>
  withEmulator({ tokenTtlMs: 300 }, async (emu) => {
    const conn = await jsforceConnection(emu);
    const grants = emu.oauth.grants;
    await new Promise((r) => setTimeout(r, 400));
    assert.ok((await conn.query('SELECT Id FROM Profile')).totalSize > 0);
    assert.equal(emu.oauth.grants, grants + 1, 'the expired token was replaced');
  }));

test('User rules: required fields, global case-insensitive username, alias, picklists, references, licenses', () =>
  withEmulator({ seed: { userLicenses: { Salesforce: 1 }, profiles: [{ name: 'Standard User', license: 'Salesforce' }], usernamesTakenElsewhere: ['taken@elsewhere.com'] } }, async (emu) => {
    const conn = await jsforceConnection(emu);
    const users = conn.sobject('User');
    const profileId = idOf(emu, 'Profile', 'Standard User');
    const missing = await failure(users.create({ Username: 'm@example.com', LastName: 'M' }));
    assert.equal(missing.errorCode, 'REQUIRED_FIELD_MISSING');
    assert.deepEqual((missing.data as { fields: string[] }).fields, ['Email', 'Alias', 'TimeZoneSidKey', 'LocaleSidKey', 'EmailEncodingKey', 'LanguageLocaleKey', 'ProfileId']);
    const codeOf = async (fields: Record<string, unknown>) => (await failure(users.create(userFields(profileId, 'x@example.com', fields)))).errorCode;
    assert.equal(await codeOf({ Alias: 'ninechars' }), 'STRING_TOO_LONG');
    assert.equal(await codeOf({ TimeZoneSidKey: 'Mars/Base' }), 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.equal(await codeOf({ Email: 'not-an-email' }), 'INVALID_EMAIL_ADDRESS');
    assert.equal(await codeOf({ ProfileId: 'abc' }), 'MALFORMED_ID');
    assert.equal(await codeOf({ ProfileId: '00e5e00000ZZZZZ' }), 'INVALID_CROSS_REFERENCE_KEY');
    assert.equal(await codeOf({ Username: 'TAKEN@elsewhere.com' }), 'DUPLICATE_USERNAME');
    assert.equal(await codeOf({ Foo__c: 'x' }), 'INVALID_FIELD');
    const first = await users.create(userFields(profileId, 'one@example.com'));
    assert.equal(await codeOf({ Username: 'two@example.com' }), 'LICENSE_LIMIT_EXCEEDED');
    const inactive = await users.create(userFields(profileId, 'two@example.com', { IsActive: false }));
    assert.equal((await failure(users.update({ Id: inactive.id!, IsActive: true }))).errorCode, 'LICENSE_LIMIT_EXCEEDED');
    await users.update({ Id: first.id!, IsActive: false });
    assert.equal(await codeOf({ Username: 'ONE@example.com' }), 'DUPLICATE_USERNAME', 'an inactive user keeps the username');
    await users.update({ Id: inactive.id!, IsActive: true });
    await users.update({ Id: first.id!, CommunityNickname: 'nick' });
    assert.equal((await failure(users.update({ Id: inactive.id!, CommunityNickname: 'NICK' }))).errorCode, 'DUPLICATE_COMM_NICKNAME');
  }));

test('usernames follow Salesforce\'s documented rule: email-shaped, at most 80 characters, ASCII email characters only', () =>
  withEmulator({ seed: { userLicenses: { Salesforce: 10 }, profiles: [{ name: 'Standard User', license: 'Salesforce' }] } }, async (emu) => {
    const users = (await jsforceConnection(emu)).sobject('User');
    const profileId = idOf(emu, 'Profile', 'Standard User');
    const codeOf = async (username: string) => (await failure(users.create(userFields(profileId, username)))).errorCode;
    for (const refused of ['jdoe', 'DOMAIN\\jdoe', 'jane doe@corp.example', 'jürgen@corp.example', 'a..b@corp.example', '.jdoe@corp.example', 'jdoe.@corp.example', 'jdoe@localhost', 'jdoe@-corp.example', 'j@doe@corp.example', '"j doe"@corp.example']) {
      assert.equal(await codeOf(refused), 'INVALID_NEW_USERNAME', refused);
    }
    const local80 = `${'x'.repeat(80 - '@corp.example'.length)}@corp.example`;
    assert.equal(await codeOf(`y${local80}`), 'STRING_TOO_LONG', '81 characters');
    for (const accepted of [local80, "o'neil+sf@corp.example", 'jane@company.sandbox', 'first_last-2@sub.corp-x.io', 'UPPER@Corp.Example']) {
      const created = await users.create(userFields(profileId, accepted));
      assert.ok(created.success, accepted);
    }
    assert.ok(emu.store.rows('User').some((u) => u.Username === 'upper@corp.example'), 'stored lower-cased (assumptions.ts)');
  }));

test('assignment rules: PSA duplicate, GroupMember idempotent insert, PSL seats, license mismatch, FederationIdentifier flag', () =>
  withEmulator(
    {
      seed: {
        userLicenses: { Salesforce: 5, 'Chatter Free': 5 },
        profiles: [{ name: 'Standard User', license: 'Salesforce' }, { name: 'Chatter Free User', license: 'Chatter Free' }],
        permissionSetLicenses: [{ name: 'Einstein', total: 1 }],
        permissionSets: [{ name: 'Sales_Ops', userLicense: 'Salesforce' }, { name: 'Einstein_Use', permissionSetLicense: 'Einstein' }],
        publicGroups: ['All Sales'],
        users: [
          { Username: 'a@example.com', LastName: 'A', Email: 'a@example.com', profile: 'Standard User', FederationIdentifier: 'same' },
          { Username: 'b@example.com', LastName: 'B', Email: 'b@example.com', profile: 'Chatter Free User' },
        ],
      },
    },
    async (emu) => {
      const conn = await jsforceConnection(emu);
      const a = idOf(emu, 'User', 'a@example.com', 'Username');
      const b = idOf(emu, 'User', 'b@example.com', 'Username');
      const salesOps = idOf(emu, 'PermissionSet', 'Sales_Ops');
      await conn.sobject('PermissionSetAssignment').create({ AssigneeId: a, PermissionSetId: salesOps });
      assert.equal((await failure(conn.sobject('PermissionSetAssignment').create({ AssigneeId: a, PermissionSetId: salesOps }))).errorCode, 'DUPLICATE_VALUE');
      assert.equal((await failure(conn.sobject('PermissionSetAssignment').create({ AssigneeId: b, PermissionSetId: salesOps }))).errorCode, 'FIELD_INTEGRITY_EXCEPTION');
      const einsteinUse = idOf(emu, 'PermissionSet', 'Einstein_Use');
      assert.equal((await failure(conn.sobject('PermissionSetAssignment').create({ AssigneeId: a, PermissionSetId: einsteinUse }))).errorCode, 'FIELD_INTEGRITY_EXCEPTION');
      const psl = emu.store.find('PermissionSetLicense', (r) => r.MasterLabel === 'Einstein')!.Id;
      await conn.sobject('PermissionSetLicenseAssign').create({ AssigneeId: a, PermissionSetLicenseId: psl });
      await conn.sobject('PermissionSetAssignment').create({ AssigneeId: a, PermissionSetId: einsteinUse });
      assert.equal((await failure(conn.sobject('PermissionSetLicenseAssign').create({ AssigneeId: b, PermissionSetLicenseId: psl }))).errorCode, 'LICENSE_LIMIT_EXCEEDED');
      const group = idOf(emu, 'Group', 'All Sales');
      const m1 = await conn.sobject('GroupMember').create({ GroupId: group, UserOrGroupId: a });
      const m2 = await conn.sobject('GroupMember').create({ GroupId: group, UserOrGroupId: a });
      assert.equal(m2.id, m1.id);
      assert.equal(emu.store.rows('GroupMember').length, 1);
      assert.equal((await failure(conn.sobject('User').update({ Id: b, FederationIdentifier: 'SAME' }))).errorCode, 'DUPLICATE_VALUE');
    },
  ));

test('limits and faults: Sforce-Limit-Info, daily budget 403, 503 retried by default jsforce, admin endpoints', () =>
  withEmulator({ dailyApiLimit: 4 }, async (emu) => {
    const conn = await jsforceConnection(emu);
    await conn.query('SELECT Id FROM Profile');
    assert.deepEqual(conn.limitInfo.apiUsage, { used: 1, limit: 4 });
    emu.faults.set({ queue: ['serverError'] });
    await conn.query('SELECT Id FROM Profile');
    assert.equal(emu.faults.injected.serverError, 1, 'jsforce silently retried the 503 GET');
    const put = await fetch(`${emu.url}/__emulator/faults`, { method: 'PUT', body: JSON.stringify({ queue: ['rateLimit'] }) });
    assert.equal(put.status, 200);
    const limited = await failure(conn.query('SELECT Id FROM Profile'));
    assert.equal(limited.errorCode, 'REQUEST_LIMIT_EXCEEDED');
    await conn.query('SELECT Id FROM Profile');
    await conn.query('SELECT Id FROM Profile');
    const spent = await failure(conn.query('SELECT Id FROM Profile'));
    assert.equal(spent.errorCode, 'REQUEST_LIMIT_EXCEEDED');
    assert.match(spent.message, /TotalRequests/);
    const state = (await (await fetch(`${emu.url}/__emulator/state`)).json()) as { apiUsage: { used: number }; objects: Record<string, unknown[]> };
    assert.equal(state.apiUsage.used, 4);
    assert.ok(state.objects.Profile.length > 0);
    await fetch(`${emu.url}/__emulator/faults`, { method: 'PUT', body: JSON.stringify({ expireTokens: true }) });
    const bare = new Connection({ instanceUrl: emu.url, accessToken: conn.accessToken!, version: '59.0' });
    assert.equal((await failure(bare.query('SELECT Id FROM Profile'))).errorCode, 'INVALID_SESSION_ID');
    const faults = (await (await fetch(`${emu.url}/__emulator/faults`)).json()) as { injected: Record<string, number> };
    assert.deepEqual(faults.injected, { serverError: 1, rateLimit: 1, drop: 0, dropAfterWrite: 0 });
  }));

test('find() without a field list expands * through describe; FederationIdentifier uniqueness can be switched off', () =>
  withEmulator({ federationIdUnique: false }, async (emu) => {
    const conn = await jsforceConnection(emu);
    const profileId = idOf(emu, 'Profile', 'Standard User');
    await conn.sobject('User').create(userFields(profileId, 'f1@example.com', { FederationIdentifier: 'shared' }));
    await conn.sobject('User').create(userFields(profileId, 'f2@example.com', { FederationIdentifier: 'shared' }));
    const found = await conn.sobject('User').find({ FederationIdentifier: 'shared' });
    assert.equal(found.length, 2);
    assert.ok('TimeZoneSidKey' in found[0] && 'LastLoginDate' in found[0], 'every described field is selected');
  }));

test('main.ts runs the emulator as a process seeded from the demo catalog and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulators/salesforce/main.ts', '--port', '0', '--seed', 'config/demo-catalog.yaml', '--client-id', 'proc-app', '--client-secret-env', 'SF_PROC_SECRET'], {
    env: { ...process.env, SF_PROC_SECRET: 'proc-secret' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`emulator exited early with ${code}`)));
    });
    const conn = new Connection({ loginUrl: url, version: '62.0', oauth2: { clientId: 'proc-app', clientSecret: 'proc-secret' } });
    await conn.authorize({ grant_type: 'client_credentials' });
    const groups = await conn.query<{ Name: string }>("SELECT Name FROM Group WHERE Type = 'Regular' ORDER BY Name");
    assert.deepEqual(groups.records.map((g) => g.Name), ['All Sales', 'Marketing Team', 'Sales AMER', 'Sales APAC', 'Sales EMEA']);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});
