import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directoryConfigSchema, type LdapDirectoryConfig } from '../../directory/config';
import { entryToBag, guidToBytes, guidToString, normalizeDn } from '../../directory/ldap/entry';
import { effectiveSettings } from '../../directory/ldap/presets';
import { cursorAt, cursorHoldsOn, decodeCursor, encodeCursor, searchLowerBound } from '../../directory/ldap/cursor';
import { PersonMapper, toIsoDate } from '../../directory/mapping';

function adConfig(extra: Record<string, unknown> = {}): LdapDirectoryConfig {
  return directoryConfigSchema.parse({ kind: 'ldap', url: 'ldaps://dc.example.com', preset: 'activeDirectory', people: { baseDn: 'DC=corp,DC=example' }, ...extra }) as LdapDirectoryConfig;
}

test('objectGUID bytes become the canonical GUID text and back (AD stores the first three groups little-endian)', () => {
  const bytes = Buffer.from('0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'hex');
  const text = guidToString(bytes);
  assert.equal(text, '3d2c1b0a-5f4e-7160-8293-a4b5c6d7e8f9');
  assert.deepEqual(guidToBytes(text), bytes);
  assert.equal(guidToBytes('*)(objectGUID=*'), null);
});

test('the Active Directory preset: sAMAccountName, userAccountControl bit 0x2, accountExpires as FILETIME', () => {
  const settings = effectiveSettings(adConfig());
  assert.equal(settings.anchorAttribute, 'objectGUID');
  assert.equal(settings.changeAttribute, 'uSNChanged');
  const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const entry = {
    dn: 'CN=Ann Lee,OU=Staff,DC=corp,DC=example',
    objectGUID: guid,
    sAMAccountName: 'alee',
    department: 'Finance',
    userAccountControl: '512',
    accountExpires: '134000000000000000', // 2025-08-22T...Z, already past on this machine's clock
    '*': [],
    memberOf: [],
  };
  const bag = entryToBag(entry, ['objectGUID']);
  assert.ok(!bag.has('*'), 'the bogus "*" key is dropped');
  assert.ok(!bag.has('memberof'), 'empty fill-ins are dropped');
  assert.deepEqual(bag.get('objectguid'), [guidToString(guid)]);
  const mapper = new PersonMapper(settings.mapping, settings.disabled);
  const person = mapper.map(bag, { anchor: guidToString(guid), dn: entry.dn, fallbackUsername: 'x' });
  assert.equal(person.username, 'alee');
  assert.equal(person.department, 'Finance');
  assert.equal(person.endDate, toIsoDate('134000000000000000'));
  assert.match(person.endDate!, /^2025-/);
  assert.equal(person.enabled, false, 'an expired account counts as disabled');

  const never = entryToBag({ ...entry, accountExpires: '9223372036854775807' }, ['objectGUID']);
  const active = mapper.map(never, { anchor: 'a', dn: entry.dn, fallbackUsername: 'x' });
  assert.equal(active.enabled, true);
  assert.equal(active.endDate, undefined, 'FILETIME "never" is no end date');
  const locked = entryToBag({ ...entry, accountExpires: '0', userAccountControl: '514' }, ['objectGUID']);
  assert.equal(mapper.map(locked, { anchor: 'a', dn: entry.dn, fallbackUsername: 'x' }).enabled, false, 'ACCOUNTDISABLE bit');
});

test('config overrides win over the preset, field by field', () => {
  const settings = effectiveSettings(adConfig({ attributes: { department: 'extensionAttribute3', extra: ['costCenter'] }, people: { baseDn: 'DC=x', filter: '(objectClass=person)' } }));
  assert.equal(settings.mapping.department, 'extensionAttribute3');
  assert.equal(settings.mapping.username, 'sAMAccountName');
  assert.deepEqual(settings.mapping.extra, ['costCenter']);
  assert.equal(settings.peopleFilter, '(objectClass=person)');
});

test('config validation names the field and refuses a literal password where a variable name belongs', () => {
  const bad = directoryConfigSchema.safeParse({ kind: 'ldap', url: 'http://nope', bindPasswordEnv: 'hunter2 secret!', people: { baseDn: 'dc=x' } });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('url') && paths.includes('bindPasswordEnv'), paths.join(','));
});

test('GeneralizedTime and DN helpers', () => {
  assert.equal(toIsoDate('20261122013704Z'), '2026-11-22T01:37:04Z');
  assert.equal(toIsoDate('2026-03-01'), '2026-03-01');
  assert.equal(normalizeDn('UID=Ann , OU=People,DC=Example'), 'uid=ann,ou=people,dc=example');
});

test('cursors: a fresh cursor re-reads the look-back window, a settled one starts just after its value', () => {
  const now = Date.UTC(2026, 10, 22, 12, 0, 0);
  const fresh = cursorAt('entryCSN', '20261122115959.500000Z#000000#000#000000', 5000, now);
  assert.equal(fresh.settled, false);
  assert.equal(searchLowerBound(fresh, 5000), '20261122115954.500000Z#000000#000#000000');
  const old = cursorAt('entryCSN', '20261122115000.999999Z#000000#000#000000', 5000, now);
  assert.equal(old.settled, true);
  assert.equal(searchLowerBound(old, 5000), '20261122115001.000000Z#000000#000#000000');
  assert.deepEqual(decodeCursor(encodeCursor(old), 'entryCSN'), old);
  assert.equal(decodeCursor(encodeCursor(old), 'uSNChanged'), null, 'a cursor from another tracking mode is refused');
  assert.equal(searchLowerBound(cursorAt('uSNChanged', '41234', 5000, now), 5000), '41235');
});

test('USN cursors belong to the domain controller that issued them; another DC\'s cursor is not searched from', () => {
  const dc1 = 'CN=NTDS Settings,CN=DC1,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=corp,DC=example';
  const dc2 = dc1.replace('CN=DC1', 'CN=DC2');
  const cursor = { ...cursorAt('uSNChanged', '5000000', 5000), server: dc1 };
  const text = encodeCursor(cursor);
  assert.deepEqual(decodeCursor(text, 'uSNChanged'), cursor, 'the server survives a round trip, commas, spaces and all');
  assert.equal(cursorHoldsOn(decodeCursor(text, 'uSNChanged')!, dc1), true);
  assert.equal(cursorHoldsOn(decodeCursor(text, 'uSNChanged')!, dc1.toUpperCase()), true, 'DNs compare case-insensitively');
  assert.equal(cursorHoldsOn(decodeCursor(text, 'uSNChanged')!, dc2), false);
  // Cursors written before servers were recorded, and servers that name none, keep working.
  assert.equal(cursorHoldsOn(decodeCursor('uSNChanged|41234|settled', 'uSNChanged')!, dc2), true);
  assert.equal(cursorHoldsOn(cursor, undefined), true);
});
