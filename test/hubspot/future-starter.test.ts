/**
 * Future starters (DesiredAccount.active false) have no HubSpot access: created with the configured
 * suspend role and no teams, an existing user is stripped, and active true plus
 * the entitlements that follow it restore access. Through the SDK against the emulator.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHubspotEmulator, type HubspotEmulator } from '../../emulators/hubspot';
import type { TargetAdapter } from '../../targets/adapter';
import type { Entitlement } from '../../domain/account';
import { desiredAccount, hubspotAdapter } from './helpers';

const TOKEN = 'pat-na1-future';
let emulator: HubspotEmulator;
let hubspot: TargetAdapter;

before(async () => {
  emulator = await startHubspotEmulator({ tokens: [TOKEN] });
  hubspot = hubspotAdapter(emulator.url, TOKEN);
});

after(async () => {
  await emulator.close();
});

const salesAccess: Entitlement[] = [
  { kind: 'role', name: 'Sales Rep' },
  { kind: 'primaryTeam', name: 'EMEA' },
  { kind: 'secondaryTeam', name: 'AMER' },
];

function access(email: string) {
  const user = emulator.store.findByEmail(email);
  assert.ok(user, `${email} exists`);
  const team = (id?: string) => (id ? emulator.store.teams.get(id)?.name : undefined);
  return { role: user.roleId ? emulator.store.roles.get(user.roleId)?.name : undefined, primaryTeam: team(user.primaryTeamId), secondaryTeams: user.secondaryTeamIds.map(team) };
}

const NO_ACCESS = { role: undefined, primaryTeam: undefined, secondaryTeams: [] };

// HubSpot cannot deactivate a user, so "no access" is the configured suspend role and no teams.
const suspendedRole = 'No Access';
const adapter = () => hubspot;
{
  const label = 'suspend role';
  test(`${label}: a future starter is created without access, and activated at the start date`, async () => {
    const email = `starter.${label.split(' ')[0]}@example.com`;
    const future = desiredAccount(`anchor-starter-${label.split(' ')[0]}`, email, { active: false, entitlements: salesAccess });
    const created = await adapter().ensureAccount(future);
    assert.equal(created.created, true);
    assert.deepEqual(access(email), { ...NO_ACCESS, role: suspendedRole });
    assert.equal((await adapter().findAccount({ anchor: future.anchor, email }))?.active, false);
    assert.deepEqual((await adapter().ensureAccount(future)).changes, [], 'still inactive: nothing to change');

    const started = await adapter().ensureAccount({ ...future, active: true });
    assert.equal(started.accountId, created.accountId);
    await adapter().ensureEntitlements(started.accountId, salesAccess, 'overwrite');
    assert.deepEqual(access(email), { role: 'Sales Rep', primaryTeam: 'EMEA', secondaryTeams: ['AMER'] });
    assert.equal((await adapter().findAccount({ anchor: future.anchor, email }))?.active, true);
  });

  test(`${label}: an existing user with access is stripped when the desired account is inactive`, async () => {
    const email = `rehire.${label.split(' ')[0]}@example.com`;
    const desired = desiredAccount(`anchor-rehire-${label.split(' ')[0]}`, email, { entitlements: salesAccess });
    const { accountId } = await adapter().ensureAccount(desired);
    await adapter().ensureEntitlements(accountId, salesAccess, 'overwrite');
    assert.equal(access(email).role, 'Sales Rep');

    const inactive = await adapter().ensureAccount({ ...desired, active: false });
    assert.deepEqual(inactive.changes.map((c) => [c.action, c.accountId]), [['deactivate', accountId]]);
    assert.deepEqual(access(email), { ...NO_ACCESS, role: suspendedRole });
    assert.deepEqual((await adapter().ensureAccount({ ...desired, active: false })).changes, [], 'stripping twice changes nothing');

    await adapter().ensureAccount(desired);
    await adapter().ensureEntitlements(accountId, salesAccess, 'overwrite');
    assert.deepEqual(access(email), { role: 'Sales Rep', primaryTeam: 'EMEA', secondaryTeams: ['AMER'] });
  });
}
