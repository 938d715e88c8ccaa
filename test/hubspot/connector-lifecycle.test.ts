/**
 * The HubSpot connector against the emulator over HTTP: every operation is an idempotent ensure,
 * a crash between write and answer converges on re-run, and one email never becomes two users.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startHubspotEmulator, HubspotApiError, type HubspotEmulator } from '../../emulators/hubspot';
import type { TargetAdapter } from '../../targets/adapter';
import type { Entitlement } from '../../domain/account';
import { desiredAccount, failure, hubspotAdapter } from './helpers';
import { hubspotTarget } from '../../targets/hubspot';

const TOKEN = 'pat-na1-lifecycle';
let emulator: HubspotEmulator;
let adapter: TargetAdapter;

before(async () => {
  emulator = await startHubspotEmulator({ tokens: [TOKEN] });
  adapter = hubspotAdapter(`${emulator.url}/`, TOKEN);
});

after(async () => {
  await adapter.close?.();
  await emulator.close();
});

beforeEach(() => emulator.faults.reset());

const salesAccess: Entitlement[] = [
  { kind: 'role', name: 'Sales Rep', rule: 'sales' },
  { kind: 'primaryTeam', name: 'EMEA' },
  { kind: 'secondaryTeam', name: 'AMER' },
];

function stored(email: string) {
  const user = emulator.store.findByEmail(email);
  assert.ok(user, `${email} exists in the emulator`);
  const role = user.roleId ? emulator.store.roles.get(user.roleId)?.name : undefined;
  const team = (id?: string) => (id ? emulator.store.teams.get(id)?.name : undefined);
  return { user, role, primaryTeam: team(user.primaryTeamId), secondaryTeams: user.secondaryTeamIds.map((id) => team(id)).sort() };
}

function usersWithEmail(email: string): number {
  return emulator.store.allUsers().filter((u) => u.email.toLowerCase() === email.toLowerCase()).length;
}

test('ensureAccount and ensureEntitlements twice: the second run reads and writes nothing', async () => {
  const desired = desiredAccount('anchor-idem', 'idem@example.com');
  const first = await adapter.ensureAccount(desired);
  assert.equal(first.created, true);
  assert.deepEqual(first.changes.map((c) => c.action), ['create']);
  const second = await adapter.ensureAccount(desired);
  assert.deepEqual({ ...second, changes: second.changes.length }, { accountId: first.accountId, created: false, changes: 0 });

  const grants = await adapter.ensureEntitlements(first.accountId, salesAccess, 'overwrite');
  assert.deepEqual(grants.map((c) => `${c.action} ${c.subject}`).sort(), ['grant primaryTeam:EMEA', 'grant role:Sales Rep', 'grant secondaryTeam:AMER']);
  assert.equal(grants.find((c) => c.subject === 'role:Sales Rep')?.rule, 'sales');
  const requestsBefore = emulator.stats.requests;
  assert.deepEqual(await adapter.ensureEntitlements(first.accountId, salesAccess, 'overwrite'), []);
  assert.equal(emulator.stats.requests - requestsBefore, 1, 'an unchanged ensure costs one read and no write');
  assert.deepEqual(stored('idem@example.com'), { ...stored('idem@example.com'), role: 'Sales Rep', primaryTeam: 'EMEA', secondaryTeams: ['AMER'] });

  const state = await adapter.findAccount({ anchor: 'anchor-idem', email: 'IDEM@example.com' });
  assert.equal(state?.id, first.accountId);
  assert.deepEqual(state?.attributes, {});
  assert.deepEqual(state?.entitlements.map((e) => `${e.kind}:${e.name}`).sort(), ['primaryTeam:EMEA', 'role:Sales Rep', 'secondaryTeam:AMER']);
});

test('a crash after the create landed (connection dropped) converges on re-run without a duplicate', async () => {
  const desired = desiredAccount('anchor-crash', 'crash@example.com');
  emulator.faults.set({ queue: ['dropAfterWrite'] });
  await failure(adapter.ensureAccount(desired), 'NetworkError', false);
  assert.equal(usersWithEmail('crash@example.com'), 1, 'the create was applied before the drop');
  const rerun = await adapter.ensureAccount(desired);
  assert.equal(rerun.created, false);
  assert.equal(rerun.accountId, stored('crash@example.com').user.id);
  assert.equal(usersWithEmail('crash@example.com'), 1);

  emulator.faults.set({ queue: ['dropAfterWrite'] });
  await failure(adapter.ensureEntitlements(rerun.accountId, salesAccess, 'overwrite'), 'NetworkError', false);
  assert.deepEqual(await adapter.ensureEntitlements(rerun.accountId, salesAccess, 'overwrite'), [], 'the dropped PUT had landed: nothing left to do');
});

test('the same person twice with different letter case is one HubSpot user', async () => {
  const first = await adapter.ensureAccount(desiredAccount('anchor-case', 'Jane.Doe@Example.com'));
  const again = await adapter.ensureAccount(desiredAccount('anchor-case', 'jane.doe@example.COM'));
  assert.equal(again.accountId, first.accountId);
  assert.equal(again.created, false);
  assert.equal(usersWithEmail('jane.doe@example.com'), 1);
});

test('if the email lookup were case-sensitive, the 409 on create links to the existing user instead', async () => {
  emulator.store.create({ email: 'Case.Sensitive@example.com' });
  const original = emulator.store.resolve.bind(emulator.store);
  emulator.store.resolve = (id, prop) => {
    const user = original(id, prop);
    if (prop === 'EMAIL' && user.email !== id) throw new HubspotApiError(404, 'OBJECT_NOT_FOUND', 'Resource not found');
    return user;
  };
  try {
    const result = await adapter.ensureAccount(desiredAccount('anchor-sensitive', 'case.sensitive@example.com'));
    assert.equal(result.created, false);
    assert.deepEqual(result.changes.map((c) => c.action), ['link']);
    assert.equal(result.accountId, stored('case.sensitive@example.com').user.id);
    assert.equal(usersWithEmail('case.sensitive@example.com'), 1);
  } finally {
    emulator.store.resolve = original;
  }
});

test('suspend strips role and teams (no-access role), remove deletes after it, both idempotent; rehire restores', async () => {
  const desired = desiredAccount('anchor-leaver', 'leaver@example.com');
  const { accountId } = await adapter.ensureAccount(desired);
  await adapter.ensureEntitlements(accountId, salesAccess, 'overwrite');
  const match = { anchor: 'anchor-leaver', email: 'leaver@example.com' };

  const suspended = await adapter.suspend(match);
  assert.deepEqual(suspended.map((c) => c.action), ['suspend']);
  assert.deepEqual(stored('leaver@example.com'), { ...stored('leaver@example.com'), role: 'No Access', primaryTeam: undefined, secondaryTeams: [] });
  assert.deepEqual(await adapter.suspend(match), [], 'suspending twice changes nothing');
  const state = await adapter.findAccount(match);
  assert.equal(state?.suspended, true);
  assert.equal(state?.active, false);
  assert.deepEqual(state?.entitlements, [], 'the no-access role is the suspension, not an entitlement');

  const rehired = await adapter.ensureAccount(desired);
  assert.deepEqual(rehired.changes.map((c) => c.action), ['unsuspend']);
  await adapter.ensureEntitlements(accountId, salesAccess, 'overwrite');
  assert.deepEqual(stored('leaver@example.com'), { ...stored('leaver@example.com'), role: 'Sales Rep', primaryTeam: 'EMEA', secondaryTeams: ['AMER'] });
  assert.equal((await adapter.findAccount(match))?.suspended, false);

  await adapter.suspend(match);
  const removed = await adapter.remove(match);
  assert.deepEqual(removed.map((c) => c.action), ['remove']);
  assert.equal(usersWithEmail('leaver@example.com'), 0);
  assert.deepEqual(await adapter.remove(match), [], 'removing an absent account changes nothing');
  assert.deepEqual(await adapter.suspend(match), []);
});

test('a suspend role is required (HubSpot cannot deactivate), and one the portal lacks stops suspension as a ConfigError', async () => {
  const parsed = hubspotTarget.configSchema.safeParse({ kind: 'hubspot', accessTokenEnv: 'HUBSPOT_TEST_TOKEN' });
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.error!.issues.map((i) => [i.path.join('.'), i.message]), [
    ['suspendRoleName', 'required: HubSpot cannot deactivate users through its API; name a role that grants nothing (e.g. "No Access") and exists in the portal'],
  ]);
  const unknownRole = hubspotAdapter(emulator.url, TOKEN, { suspendRoleName: 'Gone Fishing' });
  const { accountId } = await unknownRole.ensureAccount(desiredAccount('anchor-norole', 'norole@example.com'));
  await adapter.ensureEntitlements(accountId, salesAccess, 'overwrite');
  const refused = await failure(unknownRole.suspend({ anchor: 'anchor-norole', email: 'norole@example.com' }), 'ConfigError', true);
  assert.match(refused.message, /suspendRoleName "Gone Fishing" is not a role in this HubSpot portal/);
  assert.equal(stored('norole@example.com').role, 'Sales Rep', 'nothing was stripped half-way');
});

test('a future joiner (active false) is created suspended', async () => {
  const result = await adapter.ensureAccount(desiredAccount('anchor-future', 'future@example.com', { active: false }));
  assert.equal(result.created, true);
  assert.equal(stored('future@example.com').role, 'No Access');
  const state = await adapter.findAccount({ anchor: 'anchor-future', email: 'future@example.com' });
  assert.equal(state?.active, false);
  assert.deepEqual((await adapter.ensureAccount(desiredAccount('anchor-future', 'future@example.com', { active: false }))).changes, []);
});

test('merge only adds (a replaced primary team stays as secondary); overwrite converges exactly', async () => {
  const { accountId } = await adapter.ensureAccount(desiredAccount('anchor-modes', 'modes@example.com'));
  await adapter.ensureEntitlements(accountId, salesAccess, 'overwrite');
  const merged = await adapter.ensureEntitlements(
    accountId,
    [
      { kind: 'role', name: 'Sales Manager' },
      { kind: 'primaryTeam', name: 'APAC' },
      { kind: 'secondaryTeam', name: 'Marketing' },
    ],
    'merge',
  );
  assert.deepEqual(stored('modes@example.com'), { ...stored('modes@example.com'), role: 'Sales Manager', primaryTeam: 'APAC', secondaryTeams: ['AMER', 'EMEA', 'Marketing'] });
  assert.ok(merged.some((c) => c.action === 'grant' && c.subject === 'role:Sales Manager'));
  assert.deepEqual(merged.filter((c) => c.action === 'revoke').map((c) => c.subject), ['role:Sales Rep', 'primaryTeam:EMEA']);
  assert.deepEqual(await adapter.ensureEntitlements(accountId, [{ kind: 'secondaryTeam', name: 'AMER' }], 'merge'), [], 'merging a held team changes nothing');

  const overwritten = await adapter.ensureEntitlements(accountId, [{ kind: 'role', name: 'Sales Rep' }, { kind: 'primaryTeam', name: 'EMEA' }], 'overwrite');
  assert.deepEqual(stored('modes@example.com'), { ...stored('modes@example.com'), role: 'Sales Rep', primaryTeam: 'EMEA', secondaryTeams: [] });
  assert.deepEqual(overwritten.filter((c) => c.action === 'revoke').map((c) => c.subject).sort(), ['primaryTeam:APAC', 'role:Sales Manager', 'secondaryTeam:AMER', 'secondaryTeam:EMEA', 'secondaryTeam:Marketing']);
});

test('listAccounts pages through every user; listCatalog names roles and teams', async () => {
  for (let i = 0; i < 150; i += 1) emulator.store.create({ email: `listed${i}@example.com` });
  const listed: string[] = [];
  for await (const account of adapter.listAccounts()) {
    listed.push(account.email!);
    assert.deepEqual(account.attributes, {});
  }
  assert.equal(listed.length, emulator.store.userCount);
  assert.equal(new Set(listed).size, listed.length);
  const catalog = await adapter.listCatalog();
  assert.deepEqual(catalog.role, ['Sales Rep', 'Sales Manager', 'Marketing Contributor', 'Marketing Admin', 'No Access']);
  assert.deepEqual(catalog.primaryTeam, ['EMEA', 'AMER', 'APAC', 'Marketing', 'Sales Leadership']);
  assert.deepEqual(catalog.secondaryTeam, catalog.primaryTeam);
});

test('super admins are never suspended, deactivated or removed', async () => {
  const match = { anchor: 'anchor-owner', email: 'superadmin@example.com' };
  await failure(adapter.suspend(match), 'ValidationError', true);
  await failure(adapter.ensureAccount(desiredAccount('anchor-owner', 'superadmin@example.com', { givenName: 'Super', familyName: 'Admin', active: false })), 'ValidationError', true);
  await failure(adapter.remove(match), 'ValidationError', true);
  assert.equal(usersWithEmail('superadmin@example.com'), 1);
});
