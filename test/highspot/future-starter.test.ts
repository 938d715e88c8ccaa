/**
 * Future starters (DesiredAccount.active false) cannot use Highspot: the SCIM user is created with
 * active=false, an existing one is deactivated, and active true reactivates the same user.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HighspotEmulatorHandle } from '../../emulators/highspot';
import type { TargetAdapter } from '../../targets/adapter';
import type { DesiredAccount } from '../../domain/account';
import { highspotAdapter, startEmulator } from './support';

function seller(anchor: string, active: boolean): DesiredAccount {
  return { anchor, username: anchor, email: `${anchor}@example.com`, givenName: 'Sam', familyName: anchor, attributes: {}, active, entitlements: [] };
}

describe('Highspot future starters', () => {
  let emulator: HighspotEmulatorHandle;
  let adapter: TargetAdapter;
  before(async () => {
    const started = await startEmulator({ groups: ['All Employees'] });
    emulator = started.emulator;
    adapter = highspotAdapter(emulator, started.credentials);
  });
  after(() => emulator.close());

  const stored = async (id: string) => (await emulator.state()).users.find((u) => u.id === id);

  test('created inactive, activated at the start date', async () => {
    const created = await adapter.ensureAccount(seller('h-future', false));
    assert.equal(created.created, true);
    assert.equal((await stored(created.accountId))?.active, false);
    assert.equal((await adapter.findAccount({ anchor: 'h-future' }))?.active, false);
    const started = await adapter.ensureAccount(seller('h-future', true));
    assert.deepEqual(started.changes.map((c) => [c.action, c.accountId]), [['activate', created.accountId]]);
    assert.equal((await stored(created.accountId))?.active, true);
  });

  test('an existing active user is deactivated while the desired account is inactive', async () => {
    const { accountId } = await adapter.ensureAccount(seller('h-existing', true));
    assert.deepEqual((await adapter.ensureAccount(seller('h-existing', false))).changes.map((c) => c.action), ['deactivate']);
    assert.equal((await stored(accountId))?.active, false);
  });
});
