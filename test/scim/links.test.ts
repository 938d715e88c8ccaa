/**
 * MatchKeys.accountId on a SCIM target, over HTTP against the emulator: the linked account is read
 * by id first and acted on even when no anchor, userName or email finds it; a stale link falls back
 * to externalId, then userName; a linked account carrying another person's externalId is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScimEmulatorHandle } from '../../emulators/scim';
import type { TargetAdapter } from '../../targets/adapter';
import { desiredAccount, expectFailure, scimAdapter, scimFetch, startEmulator } from './support';

describe('SCIM links (MatchKeys.accountId)', () => {
  let emulator: ScimEmulatorHandle;
  let adapter: TargetAdapter;
  let scim: ReturnType<typeof scimFetch>;
  before(async () => {
    let token: string;
    ({ emulator, token } = await startEmulator({ etag: true, deleteMode: 'hard' }));
    adapter = scimAdapter(emulator, token, { deleteMode: 'delete' });
    scim = scimFetch(emulator, token);
  });
  after(() => emulator.close());

  /** An account adopted by link: idsync never wrote its externalId. */
  async function unanchoredAccount(userName: string): Promise<string> {
    const created = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true });
    assert.equal(created.status, 201);
    return String(created.body?.id);
  }

  const stored = async (id: string) => (await emulator.state()).users.find((u) => u.id === id);

  test('suspend and remove act on the linked account by id when nothing else finds it', async () => {
    const accountId = await unanchoredAccount('adopted@example.com');
    await adapter.ensureEntitlements(accountId, [{ kind: 'group', name: 'Agents' }], 'overwrite');
    assert.equal(await adapter.findAccount({ anchor: 's-adopted' }), null, 'without the link nothing finds it');
    const leaver = { anchor: 's-adopted', accountId };

    assert.deepEqual((await adapter.suspend(leaver)).map((c) => [c.action, c.accountId]), [['suspend', accountId]]);
    assert.equal((await stored(accountId))?.active, false, 'access cut');
    const state = await adapter.findAccount({ anchor: '', accountId });
    assert.deepEqual([state?.id, state?.active, state?.entitlements.map((e) => e.name)], [accountId, false, ['Agents']]);

    assert.deepEqual((await adapter.remove({ anchor: '', accountId })).map((c) => [c.action, c.accountId]), [['remove', accountId]]);
    assert.equal(await stored(accountId), undefined, 'deleted');
    assert.deepEqual(await adapter.remove({ anchor: '', accountId }), [], 'stale link, no key left: no change');
    assert.deepEqual(await adapter.suspend({ anchor: '', accountId }), []);
  });

  test('the link wins over externalId while it resolves; once stale, externalId then userName match', async () => {
    const linked = await unanchoredAccount('linked@example.com');
    const anchored = await adapter.ensureAccount(desiredAccount('s-moved', { username: 'moved@example.com', email: 'moved@example.com' }));
    const match = { anchor: 's-moved', username: 'moved@example.com', accountId: linked };

    assert.deepEqual((await adapter.suspend(match)).map((c) => c.accountId), [linked]);
    assert.equal((await stored(anchored.accountId))?.active, true, 'the anchored account is untouched');

    assert.equal((await scim('DELETE', `/Users/${linked}`)).status, 204);
    assert.deepEqual((await adapter.suspend(match)).map((c) => c.accountId), [anchored.accountId], 'falls back to externalId');
    const byName = await unanchoredAccount('by-name@example.com');
    assert.equal((await adapter.findAccount({ anchor: 's-by-name', username: 'by-name@example.com', accountId: linked }))?.id, byName, 'then to userName');
  });

  test('a linked account carrying another person’s externalId is refused and left alone', async () => {
    const owner = await adapter.ensureAccount(desiredAccount('s-owner'));
    const other = await adapter.ensureAccount(desiredAccount('s-other'));
    const wrongLink = { anchor: 's-other', username: 's-other@example.com', email: 's-other@example.com', accountId: owner.accountId };
    for (const attempt of [adapter.suspend(wrongLink), adapter.remove(wrongLink), adapter.findAccount(wrongLink)]) {
      const err = await expectFailure(attempt, 'LinkConflict', true);
      assert.match(err.message, new RegExp(`${owner.accountId}.*target support-desk.*field externalId`));
    }
    assert.equal((await stored(owner.accountId))?.active, true);
    assert.equal((await stored(other.accountId))?.active, true);
  });
});
