/**
 * The streaming scan reader against the real slapd: the same people and anchors as the ldapts
 * reader, and every way a scan connection can go wrong (refused bind, missing base, a connection
 * cut mid-scan, a server that goes silent, a caller that stops early) ends cleanly and classified.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attribute, Change, Control } from 'ldapts';
import { createDirectorySource } from '../../directory';
import type { DirectorySource } from '../../directory/source';
import type { LdapDirectoryConfig } from '../../directory/config';
import type { Person } from '../../domain/person';
import { testEnv } from '../support/env';
import { createLdapFixture, type LdapFixture } from './support/ldap-fixture';
import { startFaultyProxy, type FaultyProxy } from './support/faulty-proxy';
import { pollUntil } from '../support/poll';

let fx: LdapFixture;
const sources: DirectorySource[] = [];
const proxies: FaultyProxy[] = [];
const PEOPLE = 60;
/** ManageDsaIT: treat the referral object as an entry (to create and delete it), not as a pointer. */
const manageDsaIt = new Control('2.16.840.1.113730.3.4.2');

function open(overrides: Partial<LdapDirectoryConfig> = {}): DirectorySource {
  const source = createDirectorySource(fx.config({ attributes: { extra: ['telephoneNumber', 'jpegPhoto', 'description'] }, ...overrides }), process.env);
  sources.push(source);
  return source;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const byAnchor = (people: Person[]) => [...people].sort((a, b) => a.anchor.localeCompare(b.anchor));

before(async () => {
  fx = await createLdapFixture('scanreader');
  // A referral object inside the people subtree, created first so slapd answers it (a SearchResultReference)
  // before the people, in the first page: a reader that took it for the end of the page would stop there.
  await fx.client.add(`ou=elsewhere,${fx.peopleDn}`, { objectClass: ['referral', 'extensibleObject'], ou: 'elsewhere', ref: 'ldap://ldap.elsewhere.example/ou=people,dc=elsewhere' }, manageDsaIt);
  const boss = await fx.addPerson('boss', { departmentNumber: 'Exec', description: 'Geschäftsführerin 👩‍💼' });
  const members: string[] = [];
  for (let i = 0; i < PEOPLE; i++) {
    members.push(
      await fx.addPerson(`p${String(i).padStart(2, '0')}`, {
        manager: boss,
        displayName: `Zoë Ångström ${i}`,
        telephoneNumber: [`+1 555 ${i}`, `+44 20 ${i}`],
        employeeType: i % 7 === 0 ? 'disabled' : 'staff',
      }),
    );
  }
  await fx.addGroup('everyone', members);
  await fx.addGroup('leads', [boss, fx.groupDn('everyone')]);
  // A 200 kB photo that is not UTF-8 makes one message far larger than any TCP read.
  const photo = Buffer.alloc(200_000, 0xff);
  await fx.client.modify(fx.personDn('p01'), new Change({ operation: 'add', modification: new Attribute({ type: 'jpegPhoto', values: [photo] }) }));
});

after(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await Promise.all(proxies.map((p) => p.close()));
  await fx.client.del(`ou=elsewhere,${fx.peopleDn}`, manageDsaIt).catch(() => undefined);
  await fx.close();
});

test('the streaming reader lists exactly the people and anchors the ldapts reader lists, over many small pages and past a referral', async () => {
  const streamed = byAnchor(await collect(open({ pageSize: 4 }).listPeople()));
  const viaLdapts = byAnchor(await collect(open({ pageSize: 4, scanReader: 'ldapts' }).listPeople()));
  assert.equal(streamed.length, PEOPLE + 1);
  assert.deepEqual(streamed, viaLdapts);
  const photoHolder = streamed.find((p) => p.username === 'p01')!;
  assert.equal((photoHolder.extra.jpegPhoto as string).length, 200_000, 'non-UTF-8 bytes decode as the ldapts path decodes them');
  const p03 = streamed.find((p) => p.username === 'p03')!;
  assert.equal(p03.displayName, 'Zoë Ångström 3');
  assert.deepEqual(p03.extra.telephoneNumber, ['+1 555 3', '+44 20 3']);
  assert.ok(p03.managerAnchor, 'manager resolved');
  assert.deepEqual(p03.groups, ['everyone', 'leads']);
  assert.equal(streamed.find((p) => p.username === 'p07')!.enabled, false);

  const anchors = (await collect(open({ pageSize: 4 }).listAnchors!())).sort();
  const ldaptsAnchors = (await collect(open({ pageSize: 4, scanReader: 'ldapts' }).listAnchors!())).sort();
  assert.deepEqual(anchors, ldaptsAnchors);
  assert.deepEqual(anchors, streamed.map((p) => p.anchor).sort());
});

test('a refused bind is PermissionDenied naming the bind DN, without the password', async () => {
  process.env.IDSYNC_TEST_SCAN_WRONG_PASSWORD = 'not-the-password-7f3a';
  const source = open({ bindPasswordEnv: 'IDSYNC_TEST_SCAN_WRONG_PASSWORD' });
  await assert.rejects(collect(source.listAnchors!()), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'PermissionDenied');
    assert.match(err.message, /cn=admin/);
    assert.doesNotMatch(err.message, /not-the-password/);
    return true;
  });
});

test('a base DN that does not exist lists nobody with either reader', async () => {
  for (const scanReader of ['stream', 'ldapts'] as const) {
    const source = open({ scanReader, people: { baseDn: `ou=nowhere,${fx.root}`, scope: 'sub' }, groups: undefined });
    assert.deepEqual(await collect(source.listPeople()), [], scanReader);
  }
});

test('a connection cut in the middle of a scan fails it as retryable DirectoryUnavailable, naming the directory', async () => {
  const proxy = await startFaultyProxy(testEnv.ldap().url, { cutAfterServerBytes: 6_000 });
  proxies.push(proxy);
  const source = open({ url: proxy.url, groups: undefined, pageSize: 5 });
  await assert.rejects(collect(source.listPeople()), (err: Error & { type?: string; nonRetryable?: boolean }) => {
    assert.equal(err.type, 'DirectoryUnavailable');
    assert.equal(err.nonRetryable, false);
    assert.match(err.message, new RegExp(proxy.url.replace(/[.]/g, '\\.')));
    return true;
  });
  await source.close();
  await proxy.waitForClosedConnections();
});

test('an entry the server sends malformed fails the scan as retryable DirectoryUnavailable when it is read, and the scan connection closes', async () => {
  // The objectName of p30's entry tagged as something other than an OCTET STRING: the message
  // frame stays whole, so only the entry's own decoding (done as the caller reads the page) sees it.
  const dn = Buffer.from(fx.personDn('p30'));
  let corrupted = 0;
  const proxy = await startFaultyProxy(testEnv.ldap().url, {
    rewriteServerChunk: (chunk) => {
      const at = chunk.indexOf(dn);
      if (at < 2 || chunk[at - 2] !== 0x04 || chunk[at - 1] !== dn.length) return chunk;
      const changed = Buffer.from(chunk);
      changed[at - 2] = 0x05;
      corrupted++;
      return changed;
    },
  });
  proxies.push(proxy);
  const source = open({ url: proxy.url, groups: undefined, pageSize: 5 });
  const listed: Person[] = [];
  await assert.rejects(
    (async () => {
      for await (const person of source.listPeople()) listed.push(person);
    })(),
    (err: Error & { type?: string; nonRetryable?: boolean }) => {
      assert.equal(err.type, 'DirectoryUnavailable');
      assert.equal(err.nonRetryable, false);
      assert.match(err.message, /malformed SearchResultEntry objectName/);
      assert.match(err.message, new RegExp(proxy.url.replace(/[.]/g, '\\.')));
      return true;
    },
  );
  assert.equal(corrupted, 1, 'the proxy corrupted exactly one entry');
  assert.ok(listed.length > 0 && !listed.some((p) => p.username === 'p30'), 'people before the bad entry were listed, the bad one was not');
  await source.close();
  await proxy.waitForClosedConnections();
});

test('while the caller is still on the first page, the reader has asked for two more, and the scan ends whole', async () => {
  // Every SearchRequest names the people base; the bind and the unbind do not.
  const base = Buffer.from(fx.peopleDn);
  let searches = 0;
  const proxy = await startFaultyProxy(testEnv.ldap().url, { watchClientChunk: (chunk) => void (searches += countOf(chunk, base)) });
  proxies.push(proxy);
  const source = open({ url: proxy.url, groups: undefined, pageSize: 5 });
  const anchors: string[] = [];
  for await (const person of source.listPeople()) {
    if (anchors.push(person.anchor) === 1) await pollUntil('the reader to ask for two pages ahead', async () => (searches >= 3 ? true : undefined), { timeoutMs: 10_000, intervalMs: 10 });
  }
  assert.equal(anchors.length, new Set(anchors).size);
  assert.equal(anchors.length, PEOPLE + 1);
  await source.close();
  await proxy.waitForClosedConnections();
});

function countOf(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

test('a directory that goes silent mid-scan is given up on after timeoutMs, not waited on forever', async () => {
  const proxy = await startFaultyProxy(testEnv.ldap().url, { stallAfterServerBytes: 6_000 });
  proxies.push(proxy);
  const source = open({ url: proxy.url, groups: undefined, pageSize: 5, timeoutMs: 700 });
  await assert.rejects(collect(source.listAnchors!()), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'DirectoryUnavailable');
    assert.match(err.message, /sent nothing for 700 ms/);
    return true;
  });
  await proxy.waitForClosedConnections();
});

test('a caller that stops early closes the scan connection instead of leaving it open', async () => {
  const proxy = await startFaultyProxy(testEnv.ldap().url, {});
  proxies.push(proxy);
  const source = open({ url: proxy.url, groups: undefined, pageSize: 5 });
  let seen = 0;
  for await (const anchor of source.listAnchors!()) {
    assert.ok(anchor);
    if (++seen === 7) break;
  }
  assert.equal(seen, 7);
  // The source's own ldapts connection was never opened for listAnchors, so every connection ends.
  await proxy.waitForClosedConnections();
  assert.equal(proxy.connectionsOpened(), 1);
});
