/**
 * idsync's LDAP source with the Active Directory preset and config/idsync.example.yaml's directory
 * section, against a real AD-compatible domain controller (Samba) instead of a proxy in front of
 * OpenLDAP: binary objectGUID anchors, userAccountControl / accountExpires, uSNChanged (which a
 * membership change moves on the group only), linked member values that follow a rename,
 * tombstones and their restore, and explicit member ranges.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Filter } from 'ldapts';
import type { LdapDirectoryConfig } from '../../directory/config';
import { guidToBytes } from '../../directory/ldap/entry';
import { allValues } from '../../directory/ldap/groups';
import { effectiveSettings, LDAP_PRESETS } from '../../directory/ldap/presets';
import { sambaSkipReason, startSambaFixture, UAC_DISABLED, UAC_ENABLED, type SambaFixture } from './support/samba-fixture';
import { everyoneByUsername, sourceOpener } from './support/open-sources';

const PEOPLE = 24;
/** Windows FILETIME (100 ns since 1601) of a date: accountExpires. */
const filetime = (iso: string) => String((BigInt(Date.parse(iso)) + 11_644_473_600_000n) * 10_000n);
const NEVER_EXPIRES = '9223372036854775807';

const skip = sambaSkipReason();
if (skip) test('Active Directory source against a real Samba DC', { skip }, () => undefined);
else registerTests();

function registerTests(): void {
  let fx: SambaFixture;
  const cn = (i: number) => `Zoë Ärger ${String(i).padStart(2, '0')}`;
  const sam = (i: number) => `zarger${String(i).padStart(2, '0')}`;

  const sources = sourceOpener((overrides) => fx.config(overrides));
  const open = (overrides: Partial<LdapDirectoryConfig> = {}) => sources.open(overrides);
  const everyone = everyoneByUsername;

  before(async () => {
    fx = await startSambaFixture('source');
    const dns: string[] = [];
    for (let i = 0; i < PEOPLE; i++) {
      dns.push(
        await fx.addPerson(cn(i), {
          sAMAccountName: sam(i),
          givenName: 'Zoë',
          sn: `Ärger ${i}`,
          displayName: cn(i),
          mail: `${sam(i)}@example.test`,
          department: i < 10 ? 'Sales' : 'Engineering',
          ...(i > 0 ? { manager: fx.personDn(cn(0)) } : {}),
        }),
      );
    }
    const sales = await fx.addGroup('sales', dns.slice(0, 10));
    const engineering = await fx.addGroup('engineering', dns.slice(10, 20));
    await fx.addGroup('all-staff', [sales, engineering]);
    await fx.addGroup('everyone', dns);
  });

  after(async () => {
    await sources.closeAll();
    await fx?.close();
  });

  test('the example configuration spells out the AD preset defaults that the tests below run with', () => {
    const config = fx.config();
    const preset = LDAP_PRESETS.activeDirectory;
    assert.equal(config.preset, 'activeDirectory');
    assert.equal(config.people.filter, preset.peopleFilter);
    assert.equal(config.groups?.filter, preset.groupFilter);
    assert.deepEqual(config.disabled, preset.disabled);
    assert.equal(config.changeAttribute, preset.changeAttribute);
    assert.equal(config.pageSize, 1000);
    const settings = effectiveSettings(config);
    assert.equal(settings.peopleFilter, '(&(objectCategory=person)(objectClass=user))');
    assert.deepEqual(settings.disabled.map((r) => [r.attribute, r.bitmask ?? null, r.expired]), [
      ['userAccountControl', 2, false],
      ['accountExpires', null, true],
    ]);
    assert.equal(settings.changeAttribute, 'uSNChanged');
    assert.equal(settings.anchorAttribute, 'objectGUID');
  });

  test('a full scan finds everyone, and every one of them is found again by objectGUID', async () => {
    const scanned = await everyone(open());
    assert.equal(scanned.size, PEOPLE);
    const guids = [...scanned.values()].map((p) => guidToBytes(p.anchor)!);
    // The bug this guards against needs GUID bytes >= 0x80; with 24 random GUIDs there are always some.
    assert.ok(guids.some((bytes) => bytes.some((b) => b >= 0x80)), 'some GUIDs have bytes >= 0x80');

    const source = open();
    for (const person of scanned.values()) assert.deepEqual(await source.getPerson(person.anchor), person, `getPerson(${person.username})`);
    assert.deepEqual(await everyone(open({ scanReader: 'ldapts' })), scanned, 'both scan readers agree');

    const zoe = scanned.get(sam(3))!;
    assert.equal(zoe.displayName, cn(3));
    assert.equal(zoe.givenName, 'Zoë');
    assert.equal(zoe.enabled, true);
    assert.equal(zoe.managerAnchor, scanned.get(sam(0))!.anchor);
    assert.deepEqual(zoe.groups, ['all-staff', 'everyone', 'sales'], 'nested: sales is in all-staff');
    assert.deepEqual(scanned.get(sam(22))!.groups, ['everyone']);
    assert.equal((await source.findPerson({ username: sam(5) }))?.anchor, scanned.get(sam(5))!.anchor);
    assert.equal((await source.findPerson({ email: `${sam(6)}@example.test` }))?.anchor, scanned.get(sam(6))!.anchor);
  });

  test('an objectGUID filter sent as text (how the source used to send it) matches nobody on a real DC', async () => {
    const guid = (await open().findPerson({ username: sam(1) }))!.anchor;
    const bytes = guidToBytes(guid)!;
    const asText = `(objectGUID=${Filter.escape(bytes)})`;
    const res = await fx.client.search(fx.peopleDn, { filter: asText, attributes: ['1.1'] });
    // Only GUIDs with a byte >= 0x80 are mangled; those reach the server as other bytes.
    if (bytes.some((b) => b >= 0x80)) assert.equal(res.searchEntries.length, 0);
    assert.equal((await open().getPerson(guid))?.username, sam(1), 'the source finds the same person');
  });

  test('disabled and expired accounts: userAccountControl bit 2 and accountExpires in the past', async () => {
    const source = open();
    const dn = fx.personDn(cn(4));
    const guid = await fx.guidOf(dn);
    const enabled = async () => (await source.getPerson(guid))!.enabled;
    assert.equal(await enabled(), true);
    // NORMAL_ACCOUNT 512, + PASSWD_NOTREQD 32, + DONT_EXPIRE_PASSWORD 65536; ACCOUNTDISABLE is 2.
    for (const [uac, expected] of [[UAC_DISABLED, false], [UAC_ENABLED, true], ['514', false], ['512', true], ['66050', false], ['66048', true]] as const) {
      await fx.replace(dn, 'userAccountControl', [uac]);
      assert.equal(await enabled(), expected, `userAccountControl ${uac}`);
    }
    await fx.replace(dn, 'userAccountControl', [UAC_ENABLED]);
    await fx.replace(dn, 'accountExpires', [filetime('2020-01-01T00:00:00Z')]);
    assert.equal(await enabled(), false, 'expired in 2020');
    await fx.replace(dn, 'accountExpires', [filetime('2999-01-01T00:00:00Z')]);
    assert.equal(await enabled(), true, 'expires in 2999');
    await fx.replace(dn, 'accountExpires', [NEVER_EXPIRES]);
    assert.equal(await enabled(), true, 'never expires');
    await fx.replace(dn, 'accountExpires', ['0']);
    assert.equal(await enabled(), true, '0 also means never');
  });

  test('a membership change moves the group uSNChanged, not the user one; the source still sees it', async () => {
    const source = open();
    const userDn = fx.personDn(cn(5));
    const groupDn = fx.groupDn('sales');
    const guid = await fx.guidOf(userDn);
    const [userUsn, groupUsn] = [await fx.usnChanged(userDn), await fx.usnChanged(groupDn)];
    const cursor = await source.currentCursor!();

    await fx.deleteValues(groupDn, 'member', [userDn]);
    assert.equal(await fx.usnChanged(userDn), userUsn, "the user's uSNChanged did not move");
    assert.ok((await fx.usnChanged(groupDn)) > groupUsn, "the group's did");
    const changes = await source.changesSince(cursor);
    assert.deepEqual(changes.changedGroups, ['sales']);
    assert.ok(!changes.changed.some((p) => p.anchor === guid), 'the former member is not among the current ones');
    // The watcher re-reads former members by anchor: this lookup is what used to find nobody.
    assert.deepEqual((await source.getPerson(guid))?.groups, ['everyone']);

    await fx.addValues(groupDn, 'member', [userDn]);
    const back = await source.changesSince(changes.cursor);
    assert.deepEqual(back.changed.find((p) => p.anchor === guid)?.groups, ['all-staff', 'everyone', 'sales']);
  });

  test('group member lookups resolve nested groups', async () => {
    const source = open();
    const scanned = await everyone(source);
    const expected = [...scanned.values()].filter((p) => p.groups.includes('all-staff'));
    assert.equal(expected.length, 20);
    assert.deepEqual(await source.groupMemberAnchors('all-staff'), expected.map((p) => p.anchor).sort());
  });

  test('a rename (cn change) keeps objectGUID, and the group member values follow it', async () => {
    const source = open();
    const dn = fx.personDn(cn(7));
    const guid = await fx.guidOf(dn);
    const cursor = await source.currentCursor!();
    const renamed = await fx.rename(dn, 'Zoë Renamed 07');
    assert.equal(await fx.guidOf(renamed), guid);
    const person = await source.getPerson(guid);
    assert.equal(person?.dn, renamed);
    assert.equal(person?.username, sam(7));
    assert.deepEqual(person?.groups, ['all-staff', 'everyone', 'sales']);
    const changes = await source.changesSince(cursor);
    assert.equal(changes.changed.find((p) => p.anchor === guid)?.dn, renamed, 'the rename is a change since the cursor');
  });

  test('member values read with explicit ranges give the same list as one read', async () => {
    const groupDn = fx.groupDn('everyone');
    const whole = await fx.read(groupDn, ['member']);
    const all = (whole.member as string[]).map((m) => m.toLowerCase()).sort();
    assert.equal(all.length, PEOPLE);
    const client = new Client({ url: fx.dc.url });
    try {
      await client.bind(fx.dc.bindDn, fx.dc.bindPassword);
      const first = (await client.search(groupDn, { scope: 'base', attributes: ['member;range=0-9'] })).searchEntries[0]!;
      assert.equal((first['member;range=0-9'] as string[]).length, 10, 'the DC answers the range asked for');
      const second = (await client.search(groupDn, { scope: 'base', attributes: ['member;range=10-19'] })).searchEntries[0]!;
      assert.equal((second['member;range=10-19'] as string[]).length, 10);
      // What the source does with a ranged answer: follow it from value 10 to the end.
      const followed = await allValues(client, first, 'member');
      assert.deepEqual(followed.map((m) => m.toLowerCase()).sort(), all);
    } finally {
      await client.unbind();
    }
  });

  test('a deletion shows up as its tombstone in the next incremental read; a restore keeps objectGUID', async () => {
    const source = open();
    const dn = fx.personDn(cn(8));
    const guid = await fx.guidOf(dn);
    const cursor = await source.currentCursor!();
    await fx.remove(dn);
    const changes = await source.changesSince(cursor);
    assert.deepEqual(changes.removedAnchors, [guid], 'seen through the Show Deleted control');
    assert.equal(await source.getPerson(guid), null);
    assert.deepEqual((await source.changesSince(changes.cursor)).removedAnchors, [], 'reported once');

    const restoredDn = fx.personDn('Zoë Restored 08');
    await fx.restore(guid, restoredDn);
    const after = await source.changesSince(changes.cursor);
    const restored = after.changed.find((p) => p.anchor === guid);
    assert.equal(restored?.dn, restoredDn, 'the restored entry is a change, under the same anchor');
    assert.equal(restored?.username, sam(8));
    assert.equal(restored?.enabled, true);
    // Without the AD recycle bin a tombstone keeps no links: group memberships do not come back with it.
    assert.deepEqual(restored?.groups, []);
    assert.deepEqual(after.removedAnchors, []);
    assert.equal((await source.getPerson(guid))?.anchor, guid);
  });
}
