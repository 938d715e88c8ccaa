/**
 * Future starters (DesiredAccount.active false) cannot log in to Salesforce: created with
 * IsActive=false, an existing (even frozen) user is deactivated, and active true reactivates and
 * unfreezes it. Through jsforce against the emulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SalesforceSeed } from '../../emulators/salesforce';
import { adapterFor, person, withEmulator } from './helpers';

const SEED: SalesforceSeed = {
  userLicenses: { Salesforce: 20 },
  profiles: [{ name: 'Standard User', license: 'Salesforce' }],
  permissionSets: [{ name: 'Sales_Ops' }],
};

test('a future starter is created inactive and activated at the start date', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const future = person({ active: false });
    const created = await adapter.ensureAccount(future);
    assert.equal(created.created, true);
    assert.equal(emu.store.get('User', created.accountId).IsActive, false);
    const state = await adapter.findAccount({ anchor: future.anchor });
    assert.deepEqual([state?.active, state?.suspended], [false, false]);
    assert.deepEqual((await adapter.ensureAccount(future)).changes, [], 'still inactive: nothing to change');

    const started = await adapter.ensureAccount({ ...future, active: true });
    assert.deepEqual(started.changes.map((c) => [c.action, c.subject]), [['activate', 'IsActive']]);
    assert.equal((await adapter.findAccount({ anchor: future.anchor }))?.active, true);
  }));

test('an existing user, even a frozen one, is deactivated while the desired account is inactive', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    const { accountId } = await adapter.ensureAccount(desired);
    await adapter.ensureEntitlements(accountId, [...desired.entitlements, { kind: 'permissionSet', name: 'Sales_Ops' }], 'overwrite');
    await adapter.suspend({ anchor: desired.anchor });

    const inactive = await adapter.ensureAccount({ ...desired, active: false });
    assert.deepEqual(inactive.changes.map((c) => [c.action, c.subject]), [['deactivate', 'IsActive']]);
    assert.equal(emu.store.get('User', accountId).IsActive, false);
    assert.equal((await adapter.findAccount({ anchor: desired.anchor }))?.active, false);

    const active = await adapter.ensureAccount(desired);
    assert.deepEqual(active.changes.map((c) => [c.action, c.subject]), [['activate', 'IsActive'], ['unsuspend', 'UserLogin.IsFrozen']]);
    assert.equal((await adapter.findAccount({ anchor: desired.anchor }))?.active, true);
  }));
