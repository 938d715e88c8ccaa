/**
 * Active Directory behaviours a single Samba DC cannot show (ad-samba-*.test.ts run the rest against
 * a real AD-compatible DC), played by a proxy in front of the real slapd:
 * - groups larger than MaxValRange hand out their members range by range (`member;range=0-1499`,
 *   ...). Read naively such a group looks empty and every member would seem to leave it. Here the
 *   proxy ranges at 15 values, and the source must see exactly what it sees reading slapd directly.
 *   (Samba honours ranges that are asked for but never cuts a plain read.)
 * - USNs are numbered per domain controller, so a cursor taken on one DC means nothing on another
 *   (a load-balanced name can land anywhere): the source must notice and compare everyone instead.
 *   (That needs two replicating DCs.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LdapDirectoryConfig } from '../../directory/config';
import { testEnv } from '../support/env';
import { createLdapFixture, type LdapFixture } from './support/ldap-fixture';
import { startAdProxy, type AdProxy } from './support/ad-proxy';
import { everyoneByUsername, sourceOpener } from './support/open-sources';

let fx: LdapFixture;
let proxy: AdProxy;
const MEMBERS = 40;

const sources = sourceOpener((overrides) => fx.config(overrides));
const open = (overrides: Partial<LdapDirectoryConfig> = {}) => sources.open(overrides);
const everyone = everyoneByUsername;

before(async () => {
  fx = await createLdapFixture('ranged');
  const members: string[] = [];
  for (let i = 0; i < MEMBERS; i++) members.push(await fx.addPerson(`m${String(i).padStart(2, '0')}`));
  const big = await fx.addGroup('big', members);
  await fx.addGroup('outer', [big]);
  await fx.addGroup('small', members.slice(0, 3));
  proxy = await startAdProxy(testEnv.ldap().url, 15);
});

after(async () => {
  await sources.closeAll();
  await proxy.close();
  await fx.close();
});

test('a full scan through AD-style ranges gives every member of a large group, nested groups included', async () => {
  const direct = await everyone(open());
  const before = proxy.rangedReads();
  const ranged = await everyone(open({ url: proxy.url }));
  assert.ok(proxy.rangedReads() > before, 'the proxy really ranged the member lists');
  assert.equal(ranged.size, MEMBERS);
  assert.deepEqual(ranged.get('m39')!.groups, ['big', 'outer']);
  assert.deepEqual(ranged.get('m01')!.groups, ['big', 'outer', 'small']);
  assert.deepEqual([...ranged.values()], [...direct.values()]);
});

test('group member lookups and a changed group re-read every member through ranges', async () => {
  const source = open({ url: proxy.url });
  const anchors = await source.groupMemberAnchors('big');
  assert.equal(anchors.length, MEMBERS);
  assert.deepEqual(anchors, await open().groupMemberAnchors('big'));

  const cursor = await source.currentCursor!();
  const newcomer = await fx.addPerson('late');
  await fx.addValues(fx.groupDn('big'), 'member', [newcomer]);
  const changes = await source.changesSince(cursor);
  // The look-back window may also catch the fixture's own recent group writes; 'big' is the one that matters.
  assert.ok(changes.changedGroups?.includes('big'), `changed groups: ${changes.changedGroups?.join(', ')}`);
  const changedNames = new Set(changes.changed.map((p) => p.username));
  assert.equal(changedNames.size, MEMBERS + 1, 'everyone in the changed group is re-read, not only the first range');
  assert.ok(changes.changed.filter((p) => p.username !== 'late').every((p) => p.groups.includes('big')));
});

test('a USN cursor taken on another domain controller is not searched from: the poll compares everyone instead', async () => {
  const dc = (name: string) => `CN=NTDS Settings,CN=${name},CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=corp,DC=example`;
  // slapd has no uSNChanged, so an incremental USN search finds nobody and a full comparison finds everyone.
  const source = open({ url: proxy.url, changeAttribute: 'uSNChanged' });
  try {
    proxy.setRootDse({ dsServiceName: dc('DC1'), highestCommittedUSN: '900000' });
    const onDc1 = await source.currentCursor!();
    assert.match(onDc1, /^uSNChanged\|900000\|settled\|server=/);
    assert.deepEqual((await source.changesSince(onDc1)).changed, [], 'same DC: an incremental read');

    proxy.setRootDse({ dsServiceName: dc('DC2'), highestCommittedUSN: '412' });
    const switched = await source.changesSince(onDc1);
    assert.ok(switched.changed.length >= MEMBERS, `another DC: everyone is compared (${switched.changed.length})`);
    assert.equal(switched.cursor, `uSNChanged|412|settled|server=${encodeURIComponent(dc('DC2'))}`, 'the new cursor belongs to DC2');
    assert.deepEqual((await source.changesSince(switched.cursor)).changed, [], 'and from then on DC2 is read incrementally');
  } finally {
    proxy.setRootDse(null);
  }
});
