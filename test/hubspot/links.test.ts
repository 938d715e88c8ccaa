/**
 * MatchKeys.accountId on HubSpot, through @hubspot/api-client against the emulator: HubSpot keeps no
 * anchor, so for a person deleted from the directory (no email any more) the linked user id is the
 * only key left. It must still cut access; a stale link falls back to the email.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHubspotEmulator, type HubspotEmulator } from '../../emulators/hubspot';
import type { TargetAdapter } from '../../targets/adapter';
import type { Entitlement } from '../../domain/account';
import { desiredAccount, failure, hubspotAdapter } from './helpers';

const TOKEN = 'pat-na1-links';
let emulator: HubspotEmulator;
let adapter: TargetAdapter;

before(async () => {
  emulator = await startHubspotEmulator({ tokens: [TOKEN] });
  adapter = hubspotAdapter(emulator.url, TOKEN);
});

after(async () => {
  await adapter.close?.();
  await emulator.close();
});

const salesAccess: Entitlement[] = [
  { kind: 'role', name: 'Sales Rep' },
  { kind: 'primaryTeam', name: 'EMEA' },
  { kind: 'secondaryTeam', name: 'AMER' },
];

function access(id: string) {
  const user = emulator.store.allUsers().find((u) => u.id === id);
  if (!user) return undefined;
  return { role: user.roleId ? emulator.store.roles.get(user.roleId)?.name : undefined, primaryTeam: user.primaryTeamId, secondaryTeams: user.secondaryTeamIds.length };
}

async function userWithAccess(anchor: string, email: string): Promise<string> {
  const { accountId } = await adapter.ensureAccount(desiredAccount(anchor, email));
  await adapter.ensureEntitlements(accountId, salesAccess, 'overwrite');
  assert.equal(access(accountId)?.role, 'Sales Rep');
  return accountId;
}

test('a leaver with no email left: suspend and remove act on the linked user id', async () => {
  const accountId = await userWithAccess('anchor-gone', 'gone@example.com');
  const leaver = { anchor: 'anchor-gone', accountId };

  const suspended = await adapter.suspend(leaver);
  assert.deepEqual(suspended.map((c) => [c.action, c.accountId]), [['suspend', accountId]]);
  assert.deepEqual(access(accountId), { role: 'No Access', primaryTeam: undefined, secondaryTeams: 0 }, 'access cut');
  assert.deepEqual(await adapter.suspend(leaver), [], 'suspending again changes nothing');
  const state = await adapter.findAccount(leaver);
  assert.deepEqual([state?.id, state?.suspended], [accountId, true]);

  const removed = await adapter.remove(leaver);
  assert.deepEqual(removed.map((c) => [c.action, c.accountId]), [['remove', accountId]]);
  assert.equal(access(accountId), undefined, 'the user is deleted');
  assert.deepEqual(await adapter.remove(leaver), [], 'removing again: the link is stale and nothing else is left, no change');
  assert.deepEqual(await adapter.suspend(leaver), []);
  assert.equal(await adapter.findAccount(leaver), null);
  await failure(adapter.suspend({ anchor: 'anchor-gone' }), 'ValidationError', true); // no link and no email: nothing to match by
});

test('the link wins over the email while it resolves; once stale, the email matches', async () => {
  const linked = await userWithAccess('anchor-moved', 'old.address@example.com');
  // The directory now gives the person a new address, which another HubSpot user already has.
  const other = await userWithAccess('anchor-other', 'new.address@example.com');
  const match = { anchor: 'anchor-moved', email: 'new.address@example.com', accountId: linked };

  assert.equal((await adapter.findAccount(match))?.id, linked);
  assert.deepEqual((await adapter.suspend(match)).map((c) => c.accountId), [linked]);
  assert.equal(access(other)?.role, 'Sales Rep', 'the user behind the email is untouched');

  await adapter.remove(match);
  assert.equal(access(linked), undefined);
  assert.deepEqual((await adapter.suspend(match)).map((c) => c.accountId), [other], 'stale link: falls back to the email');
  assert.equal((await adapter.findAccount({ ...match, accountId: 'not-a-hubspot-id' }))?.id, other);
});
