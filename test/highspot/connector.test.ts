/**
 * The Highspot connector over HTTP against the emulator: SCIM provisioning keyed by e-mail,
 * audience groups, deactivation instead of deletion, and last activity from the REST side.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HighspotEmulatorHandle } from '../../emulators/highspot';
import type { TargetAdapter } from '../../targets/adapter';
import type { DesiredAccount } from '../../domain/account';
import { highspotConfigSchema } from '../../targets/highspot';
import { expectFailure } from '../scim/support';
import { highspotAdapter, startEmulator, type HighspotCredentials } from './support';

function seller(anchor: string, overrides: Partial<DesiredAccount> = {}): DesiredAccount {
  return {
    anchor,
    username: anchor,
    email: `${anchor}@example.com`,
    givenName: 'Sam',
    familyName: anchor,
    attributes: {},
    active: true,
    entitlements: [],
    ...overrides,
  };
}

describe('Highspot connector', () => {
  let emulator: HighspotEmulatorHandle;
  let credentials: HighspotCredentials;
  let adapter: TargetAdapter;
  before(async () => {
    ({ emulator, credentials } = await startEmulator({
      groups: ['All Employees', 'Sales - EMEA', 'Sales Managers'],
      users: [{ userName: 'Invited.Earlier@example.com', email: 'Invited.Earlier@example.com' }],
    }));
    adapter = highspotAdapter(emulator, credentials);
  });
  after(() => emulator.close());

  test('config defaults to e-mail userNames and deactivation on remove', () => {
    const config = highspotConfigSchema.parse({
      kind: 'highspot', baseUrl: 'https://x.example/scim/v2', restBaseUrl: 'https://api-su2.highspot.com/v1.0', tokenEnv: 'T', apiKeyEnv: 'K', apiSecretEnv: 'S',
    });
    assert.equal(config.userNameAttribute, 'email');
    assert.equal(config.deleteMode, 'deactivate');
    assert.throws(() => highspotConfigSchema.parse({ ...config, tokenEnv: 'not a variable name' }));
  });

  test('ensureAccount provisions by e-mail once, and links an invited user of another case', async () => {
    const created = await adapter.ensureAccount(seller('hs-new'));
    assert.equal(created.created, true);
    assert.deepEqual((await adapter.ensureAccount(seller('hs-new'))).changes, []);
    const linked = await adapter.ensureAccount(seller('hs-invited', { email: 'invited.earlier@EXAMPLE.com' }));
    assert.equal(linked.created, false);
    assert.ok(linked.changes.some((c) => c.action === 'link'));
    const users = (await emulator.state()).users.filter((u) => String(u.userName).toLowerCase() === 'invited.earlier@example.com');
    assert.equal(users.length, 1);
  });

  test('audience groups: grant, idempotent, overwrite revokes, unknown group is UnknownEntitlement', async () => {
    const { accountId } = await adapter.ensureAccount(seller('hs-groups'));
    const grants = [{ kind: 'group', name: 'All Employees' }, { kind: 'group', name: 'Sales - EMEA' }];
    assert.equal((await adapter.ensureEntitlements(accountId, grants, 'merge')).length, 2);
    assert.deepEqual(await adapter.ensureEntitlements(accountId, grants, 'merge'), []);
    const revoked = await adapter.ensureEntitlements(accountId, [grants[0]], 'overwrite');
    assert.deepEqual(revoked.map((c) => `${c.action} ${c.subject}`), ['revoke group:Sales - EMEA']);
    await expectFailure(adapter.ensureEntitlements(accountId, [{ kind: 'group', name: 'Sales - Mars' }], 'merge'), 'UnknownEntitlement', true);
    // Access levels and onboarding items are listed too (test/highspot/access.test.ts).
    assert.deepEqual((await adapter.listCatalog()).group, ['All Employees', 'Sales - EMEA', 'Sales Managers']);
  });

  test('last activity comes from the REST side for one account and for the full listing', async () => {
    await adapter.ensureAccount(seller('hs-active'));
    assert.equal((await adapter.findAccount({ anchor: 'hs-active' }))?.lastActivityAt, undefined);
    await emulator.recordActivity('hs-active@example.com', '2026-11-20T08:00:00.000Z');
    assert.equal((await adapter.findAccount({ anchor: 'hs-active' }))?.lastActivityAt, '2026-11-20T08:00:00.000Z');
    const listed = new Map<string, string | undefined>();
    for await (const account of adapter.listAccounts()) listed.set(account.email ?? account.username, account.lastActivityAt);
    assert.equal(listed.get('hs-active@example.com'), '2026-11-20T08:00:00.000Z');
    assert.ok(listed.has('hs-new@example.com'));
  });

  test('suspend and remove deactivate once; a rehire reactivates the same account', async () => {
    const { accountId } = await adapter.ensureAccount(seller('hs-leaver'));
    assert.deepEqual((await adapter.suspend({ anchor: 'hs-leaver' })).map((c) => c.action), ['suspend']);
    assert.deepEqual(await adapter.remove({ anchor: 'hs-leaver' }), [], 'already deactivated');
    const back = await adapter.ensureAccount(seller('hs-leaver'));
    assert.equal(back.accountId, accountId);
    assert.deepEqual(back.changes.map((c) => c.action), ['activate']);
  });

  test('bad REST credentials are PermissionDenied and never echo the secret', async () => {
    const wrong = highspotAdapter(emulator, { ...credentials, apiSecret: `${credentials.apiSecret}x` });
    const err = await expectFailure(wrong.findAccount({ anchor: 'hs-new' }), 'PermissionDenied', true);
    assert.match(err.message, /Highspot REST/);
    assert.ok(!err.message.includes(credentials.apiSecret));
  });

  test('a dropped answer to the create converges on re-run without a second account', async () => {
    await emulator.setFaults({ dropAfterWriteRate: 1 });
    await expectFailure(adapter.ensureAccount(seller('hs-crash')), 'NetworkError', false);
    await emulator.setFaults({ dropAfterWriteRate: 0 });
    const rerun = await adapter.ensureAccount(seller('hs-crash'));
    assert.equal(rerun.created, false);
    assert.equal((await emulator.state()).users.filter((u) => u.externalId === 'hs-crash').length, 1);
  });
});
