/**
 * MatchKeys.accountId on Salesforce, through jsforce against the emulator: the user idsync linked
 * to a person is acted on by id even when nothing else identifies them any more; a link that no
 * longer resolves falls back to anchor and username/email; a linked user anchored to someone else
 * is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { SalesforceSeed } from '../../emulators/salesforce';
import type { Entitlement } from '../../domain/account';
import { adapterFor, failure, jsforceConnection, person, withEmulator } from './helpers';

const SEED: SalesforceSeed = {
  userLicenses: { Salesforce: 20 },
  profiles: [{ name: 'Standard User', license: 'Salesforce' }],
  permissionSets: [{ name: 'Sales_Ops' }],
  publicGroups: ['All Sales'],
};

const ACCESS: Entitlement[] = [
  { kind: 'profile', name: 'Standard User' },
  { kind: 'permissionSet', name: 'Sales_Ops' },
  { kind: 'publicGroup', name: 'All Sales' },
];

/** A well-formed user id that no user in the emulator has (e.g. a link from before a sandbox refresh). */
const STALE_ID = '005000000000000AAA';

test('suspend and remove act on the linked user by id when anchor, username and email no longer find it', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    const { accountId } = await adapter.ensureAccount(desired);
    await adapter.ensureEntitlements(accountId, ACCESS, 'overwrite');
    // An admin cleared the anchor, and the person is gone from the directory (no username, no email).
    const conn = await jsforceConnection(emu);
    await conn.sobject('User').update({ Id: accountId, FederationIdentifier: null });
    assert.equal(await adapter.findAccount({ anchor: desired.anchor }), null, 'without the link nothing finds the user');

    const suspended = await adapter.suspend({ anchor: desired.anchor, accountId });
    assert.deepEqual(suspended.map((c) => [c.action, c.accountId, c.subject]), [['suspend', accountId, 'UserLogin.IsFrozen']]);
    const linked = await adapter.findAccount({ anchor: '', accountId });
    assert.deepEqual([linked?.id, linked?.active, linked?.suspended], [accountId, false, true]);

    const removed = await adapter.remove({ anchor: '', accountId });
    assert.deepEqual(removed.map((c) => `${c.action} ${c.subject}`).sort(), ['deactivate IsActive', 'revoke permissionSet:Sales_Ops', 'revoke publicGroup:All Sales']);
    const after = await adapter.findAccount({ anchor: '', accountId });
    assert.deepEqual([after?.active, after?.entitlements.map((e) => e.kind)], [false, ['profile']]);
    assert.deepEqual(await adapter.remove({ anchor: '', accountId }), [], 'removing again changes nothing');
  }));

test('the link wins over the anchor while it resolves; once stale, anchor then username/email match; with no key left nothing is touched', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    const linked = await adapter.ensureAccount(desired);
    const conn = await jsforceConnection(emu);
    await conn.sobject('User').update({ Id: linked.accountId, FederationIdentifier: null });
    // A second user now carries the person's anchor (created while the first had lost it).
    const anchored = await adapter.ensureAccount({ ...desired, username: `second.${desired.username}`, email: `second.${desired.email}` });
    assert.notEqual(anchored.accountId, linked.accountId);

    const match = { anchor: desired.anchor, accountId: linked.accountId };
    assert.deepEqual((await adapter.suspend(match)).map((c) => c.accountId), [linked.accountId], 'the linked user, not the anchored one');
    assert.equal((await adapter.findAccount({ anchor: desired.anchor }))?.active, true);

    emu.store.removeRaw('User', linked.accountId); // the link went stale (e.g. a sandbox refresh)
    assert.deepEqual((await adapter.suspend(match)).map((c) => c.accountId), [anchored.accountId], 'falls back to the anchor');
    const byEmail = person();
    const unanchored = await adapter.ensureAccount(byEmail);
    await conn.sobject('User').update({ Id: unanchored.accountId, FederationIdentifier: null });
    const found = await adapter.findAccount({ anchor: byEmail.anchor, email: byEmail.email, accountId: 'not-a-salesforce-id' });
    assert.equal(found?.id, unanchored.accountId, 'then to username/email');

    const writes = emu.store.writes;
    assert.deepEqual(await adapter.suspend({ anchor: '', accountId: STALE_ID }), []);
    assert.deepEqual(await adapter.remove({ anchor: '', accountId: linked.accountId }), []);
    assert.equal(await adapter.findAccount({ anchor: '', accountId: STALE_ID }), null);
    assert.equal(emu.store.writes, writes, 'no key left: not found, nothing written');
    assert.equal((await adapter.findAccount({ anchor: '', email: byEmail.email }))?.active, true, 'no other user was mistaken for the missing one');
  }));

test('a linked user that carries another person’s FederationIdentifier is refused, and nobody is changed', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const owner = person();
    const other = person();
    const ownersAccount = await adapter.ensureAccount(owner);
    const othersAccount = await adapter.ensureAccount(other);
    const wrongLink = { anchor: other.anchor, username: other.username, email: other.email, accountId: ownersAccount.accountId };
    const writes = emu.store.writes;
    for (const attempt of [adapter.suspend(wrongLink), adapter.remove(wrongLink), adapter.findAccount(wrongLink)]) {
      const err = await failure(attempt);
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.deepEqual([err.type, err.nonRetryable], ['LinkConflict', true]);
      assert.match(err.message, new RegExp(`${ownersAccount.accountId}.*target sf-test.*field FederationIdentifier`));
      assert.doesNotMatch(err.message, new RegExp(owner.anchor), 'the other person’s anchor is not repeated');
    }
    assert.equal(emu.store.writes, writes);
    assert.equal((await adapter.findAccount({ anchor: owner.anchor }))?.active, true);
    assert.equal((await adapter.findAccount({ anchor: other.anchor }))?.id, othersAccount.accountId);
    assert.equal((await adapter.findAccount({ anchor: other.anchor }))?.active, true);
  }));
