import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDirectorySource } from '../../directory';
import type { DirectorySource } from '../../directory/source';
import { createLdapFixture, type LdapFixture } from './support/ldap-fixture';

let fx: LdapFixture;
let source: DirectorySource;
const sources: DirectorySource[] = [];

function open(overrides: Parameters<LdapFixture['config']>[0] = {}): DirectorySource {
  const s = createDirectorySource(fx.config(overrides), process.env);
  sources.push(s);
  return s;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

before(async () => {
  fx = await createLdapFixture('dirsrc');
  const boss = await fx.addPerson('boss', { departmentNumber: 'Exec', title: 'CEO' });
  const alice = await fx.addPerson('alice', {
    givenName: 'Alice',
    displayName: 'Alice A',
    employeeNumber: '1001',
    departmentNumber: 'Engineering',
    title: 'Engineer',
    l: 'EMEA',
    manager: boss,
    telephoneNumber: ['+1 555 1', '+1 555 2'],
  });
  const bob = await fx.addPerson('bob', { employeeType: 'disabled' });
  const eng = await fx.addGroup('engineering', [alice]);
  const staff = await fx.addGroup('all-staff', [eng, boss]);
  await fx.addGroup('company', [staff]);
  await fx.addGroup('*)(cn=*', [bob]);
  for (let i = 0; i < 20; i++) await fx.addPerson(`bulk${String(i).padStart(2, '0')}`);
  source = open({ attributes: { extra: ['telephoneNumber'] } });
});

after(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await fx.close();
});

test('maps an OpenLDAP inetOrgPerson through the preset: anchor, fields, manager, extra, nested groups', async () => {
  const alice = await source.findPerson({ username: 'alice' });
  assert.ok(alice);
  assert.match(alice.anchor, /^[0-9a-f-]{36}$/, 'entryUUID is the anchor');
  assert.equal(alice.dn, fx.personDn('alice'));
  assert.equal(alice.email, 'alice@example.com');
  assert.equal(alice.givenName, 'Alice');
  assert.equal(alice.familyName, 'alice-sn');
  assert.equal(alice.displayName, 'Alice A');
  assert.equal(alice.employeeId, '1001');
  assert.equal(alice.department, 'Engineering');
  assert.equal(alice.region, 'EMEA');
  assert.equal(alice.enabled, true);
  assert.deepEqual(alice.groups, ['all-staff', 'company', 'engineering']);
  assert.deepEqual(alice.extra, { telephoneNumber: ['+1 555 1', '+1 555 2'] });
  const boss = await source.findPerson({ username: 'boss' });
  assert.equal(alice.managerAnchor, boss?.anchor);
  assert.deepEqual(await source.getPerson(alice.anchor), alice, 'getPerson by anchor returns the same person');
});

test('nesting depth is honoured: depth 0 gives direct groups only, depth 1 one level up', async () => {
  const direct = await open({ groups: { baseDn: fx.groupsDn, scope: 'sub', nestingDepth: 0 } }).findPerson({ username: 'alice' });
  assert.deepEqual(direct?.groups, ['engineering']);
  const oneUp = await open({ groups: { baseDn: fx.groupsDn, scope: 'sub', nestingDepth: 1 } }).findPerson({ username: 'alice' });
  assert.deepEqual(oneUp?.groups, ['all-staff', 'engineering']);
});

test('the configurable disabled rule marks employeeType=disabled, and another attribute when configured', async () => {
  assert.equal((await source.findPerson({ username: 'bob' }))?.enabled, false);
  assert.equal((await source.findPerson({ username: 'alice' }))?.enabled, true);
  const byTitle = open({ disabled: [{ attribute: 'title', values: ['engineer'], present: false, expired: false }] });
  assert.equal((await byTitle.findPerson({ username: 'alice' }))?.enabled, false, 'case-insensitive value match');
  assert.equal((await byTitle.findPerson({ username: 'bob' }))?.enabled, true);
});

test('the OpenLDAP preset treats a ppolicy lock (pwdAccountLockedTime) as disabled', async () => {
  const presetOnly = open({ disabled: undefined });
  const dn = await fx.addPerson('locked');
  try {
    assert.equal((await presetOnly.findPerson({ username: 'locked' }))?.enabled, true);
    await fx.replace(dn, 'pwdAccountLockedTime', ['000001010000Z']);
    assert.equal((await presetOnly.findPerson({ username: 'locked' }))?.enabled, false);
  } finally {
    await fx.remove(dn);
  }
});

test('listPeople pages through everyone (page size 7) and agrees with listAnchors and the full scan groups', async () => {
  const people = await collect(source.listPeople());
  assert.equal(people.length, 23);
  assert.equal(new Set(people.map((p) => p.anchor)).size, 23);
  const anchors = await collect(source.listAnchors!());
  assert.deepEqual([...anchors].sort(), people.map((p) => p.anchor).sort());
  const aliceFromScan = people.find((p) => p.username === 'alice');
  assert.deepEqual(aliceFromScan, await source.findPerson({ username: 'alice' }), 'the group index and per-person lookups agree');
});

test('injection-shaped values match literally and never widen a search', async () => {
  assert.equal(await source.findPerson({ username: '*)(uid=*' }), null);
  assert.equal(await source.findPerson({ username: '*' }), null);
  assert.equal(await source.getPerson('*'), null);
  const bob = await source.findPerson({ username: 'bob' });
  assert.deepEqual(await source.groupMemberAnchors('*)(cn=*'), [bob!.anchor], 'only the oddly named group itself');
  assert.deepEqual(await source.groupMemberAnchors('*'), []);
  const odd = await fx.addPerson('x*)(uid=*');
  try {
    const found = await source.findPerson({ username: 'x*)(uid=*' });
    assert.equal(found?.username, 'x*)(uid=*');
    assert.ok(found?.dn.startsWith('uid=x*)(uid'), 'the odd DN as the server spells it');
  } finally {
    await fx.remove(odd);
  }
});

test('a large group is read in batches (more than one hundred members) without losing anyone', async () => {
  const dns: string[] = [];
  for (let i = 0; i < 130; i++) dns.push(await fx.addPerson(`crowd${String(i).padStart(3, '0')}`));
  const crowd = await fx.addGroup('crowd', dns);
  try {
    const anchors = await source.groupMemberAnchors('crowd');
    assert.equal(anchors.length, 130);
    assert.equal(new Set(anchors).size, 130);
  } finally {
    await fx.remove(crowd);
    for (const dn of dns) await fx.remove(dn);
  }
});

test('groupMemberAnchors resolves nested groups to people anchors', async () => {
  const company = await source.groupMemberAnchors('company');
  const alice = await source.findPerson({ username: 'alice' });
  const boss = await source.findPerson({ username: 'boss' });
  assert.deepEqual(company, [alice!.anchor, boss!.anchor].sort());
});

test('changesSince reports entry changes and group membership changes (with the group named), not unchanged people', async () => {
  const baseline = await source.changesSince(null);
  assert.equal(baseline.changed.length, 23);
  // The lookback re-reads recent entries; push the cursor's reference point past them.
  await new Promise((r) => setTimeout(r, 2500));
  const quiet = await source.changesSince(baseline.cursor);
  const later = await source.changesSince(quiet.cursor);
  assert.deepEqual(later.changed, [], 'nothing changed, nothing reported');
  await fx.replace(fx.personDn('bulk03'), 'departmentNumber', ['Sales']);
  await fx.addValues(fx.groupDn('engineering'), 'member', [fx.personDn('bulk07')]);
  const delta = await source.changesSince(later.cursor);
  const names = delta.changed.map((p) => p.username).sort();
  assert.ok(names.includes('bulk03') && names.includes('bulk07') && names.includes('alice'), `changed: ${names.join(',')}`);
  assert.ok(!names.includes('bulk11'));
  assert.deepEqual(delta.changedGroups, ['engineering']);
  assert.deepEqual(delta.changed.find((p) => p.username === 'bulk07')?.groups, ['all-staff', 'company', 'engineering']);
  assert.notEqual(delta.cursor, later.cursor, 'the cursor advanced');
});

test('a group the look-back window returns again is not expanded again once its read was saved; a retried read expands it again', async () => {
  const start = await source.changesSince(null);
  await fx.addValues(fx.groupDn('company'), 'member', [fx.personDn('bulk11')]);
  const names = (changes: { changed: { username?: string }[] }) => changes.changed.map((p) => p.username);
  const first = await source.changesSince(start.cursor);
  assert.ok(first.changedGroups?.includes('company'));
  assert.ok(names(first).includes('alice'), 'the changed group is expanded: its nested members are read');
  const retried = await source.changesSince(start.cursor);
  assert.ok(retried.changedGroups?.includes('company'), 'a retry from the older cursor (its read not saved) reads the group again');
  assert.ok(names(retried).includes('alice'));
  // Within the look-back window (2 s here) the group is returned by the search again, unchanged.
  const next = await source.changesSince(retried.cursor);
  assert.ok(!next.changedGroups?.includes('company'), `changed groups: ${next.changedGroups?.join(',')}`);
  assert.ok(!names(next).includes('alice'), 'members of a group already handed over are not read again');
  await fx.addValues(fx.groupDn('company'), 'member', [fx.personDn('bulk12')]);
  const again = await source.changesSince(next.cursor);
  assert.ok(again.changedGroups?.includes('company') && names(again).includes('alice'), 'a new change to the group is expanded again');
});

test('a refused bind is PermissionDenied and never echoes the password; StartTLS, when asked for, is not skipped', async () => {
  process.env.IDSYNC_TEST_WRONG_LDAP_PASSWORD = 'definitely-wrong-pw';
  const wrong = open({ bindPasswordEnv: 'IDSYNC_TEST_WRONG_LDAP_PASSWORD' });
  await assert.rejects(wrong.findPerson({ username: 'alice' }), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'PermissionDenied');
    assert.ok(!err.message.includes('definitely-wrong-pw'));
    return true;
  });
  // This slapd has no TLS: a StartTLS config must fail instead of binding in clear text.
  const tls = open({ tls: { startTls: true, rejectUnauthorized: true } });
  await assert.rejects(tls.findPerson({ username: 'alice' }), (err: Error & { type?: string }) => err.type === 'DirectoryUnavailable');
  const unset = open({ bindPasswordEnv: 'IDSYNC_TEST_NOT_SET_ANYWHERE' });
  await assert.rejects(unset.findPerson({ username: 'alice' }), /IDSYNC_TEST_NOT_SET_ANYWHERE/);
});

test('a base DN that does not exist lists nobody instead of failing (the watcher guard judges that)', async () => {
  const missing = open({ people: { baseDn: `ou=nowhere,${fx.root}`, scope: 'sub' } });
  assert.deepEqual(await collect(missing.listPeople()), []);
  assert.equal(await missing.findPerson({ username: 'alice' }), null);
});
