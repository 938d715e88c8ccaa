/**
 * LDAPS and StartTLS against a real TLS-enabled slapd of this file's own (the run's shared slapd has no TLS).
 * Every case reads through each connection a source opens: listAnchors (the streaming scan reader's
 * own connection alone), listPeople (ldapts for groups and managers, plus the scan reader) and
 * findPerson (ldapts), each from a fresh source so each opens, and verifies, its own connections.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from 'ldapts';
import { createDirectorySource } from '../../directory';
import { directoryConfigSchema, type LdapDirectoryConfig } from '../../directory/config';
import type { DirectorySource } from '../../directory/source';
import { freePort, startSlapd, type LocalSlapd } from '../../scripts/local-services';
import { testEnv, uniqueId } from '../support/env';
import { createTestCertificates, type TestCertificates } from './support/tls-certs';

const PASSWORD_ENV = 'IDSYNC_TLS_TEST_BIND_PASSWORD';
const PEOPLE = ['ada', 'grace'];

let certs: TestCertificates;
let slapd: LocalSlapd;
let ldapsUrl: string;
let peopleDn: string;
let env: NodeJS.ProcessEnv;
const sources: DirectorySource[] = [];

before(async () => {
  const dir = testEnv.scratchDir('ldap-tls');
  certs = await createTestCertificates(join(dir, 'certs'));
  slapd = await startSlapd({
    dataDir: join(dir, 'slapd'),
    rootPassword: `tls-root-${randomBytes(9).toString('hex')}`,
    tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, ldapsPort: await freePort() },
  });
  ldapsUrl = slapd.ldapsUrl!;
  env = { [PASSWORD_ENV]: slapd.bindPassword };
  const writer = new Client({ url: slapd.url });
  try {
    await writer.bind(slapd.bindDn, slapd.bindPassword);
    const ou = uniqueId('tls');
    peopleDn = `ou=${ou},${slapd.suffix}`;
    await writer.add(peopleDn, { objectClass: 'organizationalUnit', ou });
    for (const uid of PEOPLE) {
      await writer.add(`uid=${uid},${peopleDn}`, { objectClass: 'inetOrgPerson', uid, cn: uid, sn: `${uid}-sn`, mail: `${uid}@example.com` });
    }
  } finally {
    await writer.unbind();
  }
});

after(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await slapd?.stop();
});

function config(url: string, tls: Partial<LdapDirectoryConfig['tls']>): LdapDirectoryConfig {
  return directoryConfigSchema.parse({
    kind: 'ldap',
    url,
    bindDn: slapd.bindDn,
    bindPasswordEnv: PASSWORD_ENV,
    tls,
    people: { baseDn: peopleDn },
    timeoutMs: 10_000,
  }) as LdapDirectoryConfig;
}

function open(cfg: LdapDirectoryConfig): DirectorySource {
  const source = createDirectorySource(cfg, env);
  sources.push(source);
  return source;
}

async function listUsernames(source: DirectorySource): Promise<string[]> {
  const names: string[] = [];
  for await (const person of source.listPeople()) names.push(person.username);
  return names.sort();
}

async function countAnchors(source: DirectorySource): Promise<number> {
  let count = 0;
  for await (const anchor of source.listAnchors!()) if (anchor) count++;
  return count;
}

async function assertReads(cfg: LdapDirectoryConfig): Promise<void> {
  assert.equal(await countAnchors(open(cfg)), PEOPLE.length);
  assert.deepEqual(await listUsernames(open(cfg)), PEOPLE);
  const ada = await open(cfg).findPerson({ username: 'ada' });
  assert.equal(ada?.email, 'ada@example.com');
}

/** Both read paths fail as DirectoryUnavailable, naming the URL and the reason, never the password. */
async function assertRefused(cfg: LdapDirectoryConfig, reason: RegExp): Promise<void> {
  const reads: Array<[string, (s: DirectorySource) => Promise<unknown>]> = [
    ['listAnchors', countAnchors],
    ['listPeople', listUsernames],
    ['findPerson', (s) => s.findPerson({ username: 'ada' })],
  ];
  for (const [name, read] of reads) {
    await assert.rejects(read(open(cfg)), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure, `${name}: ${String(err)}`);
      assert.equal(err.type, 'DirectoryUnavailable', `${name}: ${err.message}`);
      assert.ok(err.message.includes(cfg.url), `${name} names the URL: ${err.message}`);
      assert.match(err.message, reason, name);
      assert.ok(!`${err.message}\n${err.stack}`.includes(slapd.bindPassword), `${name} leaks the bind password`);
      return true;
    });
  }
}

const startTlsUrl = () => slapd.url;
const WRONG_NAME = 'ldap.wrong.example';

test('LDAPS with the CA that signed the server certificate reads people', async () => {
  await assertReads(config(ldapsUrl, { caFile: certs.caFile }));
});

test('StartTLS on ldap:// with the right CA reads people (its name check uses the URL host 127.0.0.1, not localhost)', async () => {
  await assertReads(config(startTlsUrl(), { startTls: true, caFile: certs.caFile }));
});

test('a certificate from an untrusted CA is refused on LDAPS and StartTLS', async () => {
  await assertRefused(config(ldapsUrl, { caFile: certs.otherCaFile }), /certificate/i);
  await assertRefused(config(startTlsUrl(), { startTls: true, caFile: certs.otherCaFile }), /certificate/i);
});

test('a serverName the certificate does not carry is refused on LDAPS and StartTLS', async () => {
  await assertRefused(config(ldapsUrl, { caFile: certs.caFile, serverName: WRONG_NAME }), /altnames/);
  await assertRefused(config(startTlsUrl(), { startTls: true, caFile: certs.caFile, serverName: WRONG_NAME }), /altnames/);
});

test('serverName, not the URL host, is what the certificate must name', async () => {
  // The certificate names only 127.0.0.1: dialled as localhost it is refused, unless serverName says 127.0.0.1.
  const viaLocalhost = (url: string) => url.replace('//127.0.0.1:', '//localhost:');
  await assertRefused(config(viaLocalhost(ldapsUrl), { caFile: certs.caFile }), /altnames/);
  await assertRefused(config(viaLocalhost(startTlsUrl()), { startTls: true, caFile: certs.caFile }), /altnames/);
  await assertReads(config(viaLocalhost(ldapsUrl), { caFile: certs.caFile, serverName: certs.serverAddress }));
  await assertReads(config(viaLocalhost(startTlsUrl()), { startTls: true, caFile: certs.caFile, serverName: certs.serverAddress }));
});

test('rejectUnauthorized false connects without any CA (labs only)', async () => {
  // Labs only: without verification anyone on the path can impersonate the directory and read the bind password.
  await assertReads(config(ldapsUrl, { rejectUnauthorized: false }));
  await assertReads(config(startTlsUrl(), { startTls: true, rejectUnauthorized: false }));
});
