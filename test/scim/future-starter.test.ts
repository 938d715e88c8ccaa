/**
 * Future starters (DesiredAccount.active false) cannot use a SCIM application: created with
 * active=false, an existing account is deactivated, and active true reactivates the same account.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScimEmulatorHandle } from '../../emulators/scim';
import type { TargetAdapter } from '../../targets/adapter';
import { desiredAccount, scimAdapter, startEmulator } from './support';

describe('SCIM future starters', () => {
  let emulator: ScimEmulatorHandle;
  let adapter: TargetAdapter;
  before(async () => {
    let token: string;
    ({ emulator, token } = await startEmulator({ etag: true }));
    adapter = scimAdapter(emulator, token);
  });
  after(() => emulator.close());

  const stored = async (id: string) => (await emulator.state()).users.find((u) => u.id === id);

  test('created inactive, activated at the start date', async () => {
    const future = desiredAccount('s-future', { active: false, entitlements: [{ kind: 'group', name: 'Agents' }] });
    const created = await adapter.ensureAccount(future);
    assert.equal(created.created, true);
    assert.equal((await stored(created.accountId))?.active, false);
    assert.deepEqual((await adapter.findAccount({ anchor: 's-future' }))?.entitlements, [], 'no group before ensureEntitlements');
    assert.deepEqual((await adapter.ensureAccount(future)).changes, []);
    const started = await adapter.ensureAccount({ ...future, active: true });
    assert.deepEqual(started.changes.map((c) => [c.action, c.accountId]), [['activate', created.accountId]]);
    assert.equal((await stored(created.accountId))?.active, true);
  });

  test('an existing active account is deactivated while the desired account is inactive', async () => {
    const desired = desiredAccount('s-existing');
    const { accountId } = await adapter.ensureAccount(desired);
    const inactive = await adapter.ensureAccount({ ...desired, active: false });
    assert.deepEqual(inactive.changes.map((c) => c.action), ['deactivate']);
    assert.equal((await stored(accountId))?.active, false);
    assert.equal((await adapter.ensureAccount(desired)).accountId, accountId);
    assert.equal((await stored(accountId))?.active, true);
  });
});
