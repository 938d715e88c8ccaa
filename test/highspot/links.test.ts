/**
 * MatchKeys.accountId on Highspot (SCIM provisioning keyed by e-mail), over HTTP against the
 * emulator: the linked account is acted on by id, a stale link falls back to externalId/e-mail, and
 * a linked account carrying another person's externalId is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HighspotEmulatorHandle } from '../../emulators/highspot';
import type { TargetAdapter } from '../../targets/adapter';
import type { DesiredAccount } from '../../domain/account';
import { expectFailure } from '../scim/support';
import { highspotAdapter, startEmulator, type HighspotCredentials } from './support';

function seller(anchor: string): DesiredAccount {
  return { anchor, username: anchor, email: `${anchor}@example.com`, givenName: 'Sam', familyName: anchor, attributes: {}, active: true, entitlements: [] };
}

describe('Highspot links (MatchKeys.accountId)', () => {
  let emulator: HighspotEmulatorHandle;
  let credentials: HighspotCredentials;
  let adapter: TargetAdapter;
  before(async () => {
    ({ emulator, credentials } = await startEmulator({ groups: ['All Employees'] }));
    adapter = highspotAdapter(emulator, credentials);
  });
  after(() => emulator.close());

  /** A Highspot user adopted by link: idsync never wrote its externalId. */
  async function unanchoredUser(email: string): Promise<string> {
    const res = await fetch(`${emulator.scimUrl}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credentials.scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: email, emails: [{ value: email, primary: true }], active: true }),
    });
    assert.equal(res.status, 201);
    return String(((await res.json()) as { id: string }).id);
  }

  const stored = async (id: string) => (await emulator.state()).users.find((u) => u.id === id);

  test('a leaver with no e-mail left: suspend and remove deactivate the linked user', async () => {
    const accountId = await unanchoredUser('adopted@example.com');
    await adapter.ensureEntitlements(accountId, [{ kind: 'group', name: 'All Employees' }], 'overwrite');
    const leaver = { anchor: 'h-adopted', accountId };
    assert.deepEqual((await adapter.suspend(leaver)).map((c) => [c.action, c.accountId]), [['suspend', accountId]]);
    assert.equal((await stored(accountId))?.active, false, 'access cut');
    assert.deepEqual(await adapter.remove(leaver), [], 'already inactive: Highspot remove only deactivates');
    assert.equal((await adapter.findAccount(leaver))?.id, accountId);
  });

  test('the link wins while it resolves; a stale link falls back to externalId, then e-mail', async () => {
    const linked = await unanchoredUser('linked@example.com');
    const anchored = await adapter.ensureAccount(seller('h-moved'));
    const match = { anchor: 'h-moved', email: 'h-moved@example.com', accountId: linked };
    assert.deepEqual((await adapter.suspend(match)).map((c) => c.accountId), [linked]);
    assert.equal((await stored(anchored.accountId))?.active, true, 'the anchored user is untouched');
    const stale = { ...match, accountId: 'no-such-user' };
    assert.deepEqual((await adapter.suspend(stale)).map((c) => c.accountId), [anchored.accountId]);
    const byEmail = await unanchoredUser('by-email@example.com');
    assert.equal((await adapter.findAccount({ anchor: 'h-by-email', email: 'by-email@example.com', accountId: 'no-such-user' }))?.id, byEmail);
    assert.deepEqual(await adapter.suspend({ anchor: '', accountId: 'no-such-user' }), [], 'no key left: no change');
  });

  test('a linked user carrying another person’s externalId is refused and left alone', async () => {
    const owner = await adapter.ensureAccount(seller('h-owner'));
    await adapter.ensureAccount(seller('h-other'));
    const err = await expectFailure(adapter.suspend({ anchor: 'h-other', email: 'h-other@example.com', accountId: owner.accountId }), 'LinkConflict', true);
    assert.match(err.message, new RegExp(`${owner.accountId}.*target highspot.*field externalId`));
    await expectFailure(adapter.remove({ anchor: 'h-other', accountId: owner.accountId }), 'LinkConflict', true);
    assert.equal((await stored(owner.accountId))?.active, true);
  });
});
