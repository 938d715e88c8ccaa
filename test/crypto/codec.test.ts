/**
 * The payload codec and its keys without a server: sealing, key rotation, and the messages a missing
 * or wrong key gives (which name the setting and the key id, never key material).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec, KEY_ID_METADATA, parseKeyring } from '../../lib/encryption-codec';
import { EncryptionSetupError, idsyncDataConverter, loadKeyring, MISSING_ENCRYPTION_MESSAGE } from '../../app/encryption';
import { ConfigError, validateConfig } from '../../app/config';
import { testEnv } from '../support/env';

const keyLine = (id: string, key = randomBytes(32)) => `${id}=${key.toString('base64')}`;
const person = { displayName: 'Zofia Wrzesniewska', mail: 'zofia.w@example.com', title: 'Payroll Auditor' };
const payload = (): Payload => defaultPayloadConverter.toPayload(person);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

test('a sealed payload names its key id, hides the value, and opens again', async () => {
  const codec = new AesGcmCodec(parseKeyring(keyLine('k1'), 'test'));
  const [sealed] = await codec.encode([payload()]);
  assert.equal(text(sealed!.metadata!.encoding), 'binary/encrypted');
  assert.equal(text(sealed!.metadata![KEY_ID_METADATA]), 'k1');
  const wire = Buffer.from(sealed!.data!);
  for (const value of Object.values(person)) {
    assert.equal(wire.includes(Buffer.from(value)), false, `${value} is not in the ciphertext`);
  }
  const [opened] = await codec.decode([sealed!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), person);
  const plain = payload();
  assert.deepEqual((await codec.decode([plain]))[0], plain, 'payloads written before encryption pass through');
});

test('after rotation the new key encrypts and payloads sealed with the old key still open', async () => {
  const oldKey = keyLine('2026-10');
  const before = new AesGcmCodec(parseKeyring(oldKey, 'test'));
  const [old] = await before.encode([payload()]);
  // Rotation: the new key goes first (it encrypts), the old one stays for decoding.
  const after = new AesGcmCodec(parseKeyring(`${keyLine('2026-11')}\n${oldKey}`, 'test'));
  const [fresh] = await after.encode([payload()]);
  assert.equal(text(fresh!.metadata![KEY_ID_METADATA]), '2026-11');
  assert.deepEqual(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!), person);
  assert.deepEqual(defaultPayloadConverter.fromPayload((await after.decode([fresh!]))[0]!), person);
  // activeKeyId picks another key without reordering the list.
  const pinned = parseKeyring(`${keyLine('2026-11')},${oldKey}`, 'test', '2026-10');
  assert.equal(pinned.activeKeyId, '2026-10');
  // A process that dropped the old key says which key it lacks.
  const dropped = new AesGcmCodec(parseKeyring(keyLine('2026-11'), 'test'));
  await assert.rejects(dropped.decode([old!]), /encrypted with key 2026-10, which this process does not hold \(it holds 2026-11\)/);
});

test('a payload relabelled with another key id, or altered, does not open', async () => {
  const keyring = parseKeyring(`${keyLine('a')}\n${keyLine('b')}`, 'test');
  const codec = new AesGcmCodec(keyring);
  const [sealed] = await codec.encode([payload()]);
  const relabelled = { ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: new Uint8Array(Buffer.from('b')) } };
  await assert.rejects(codec.decode([relabelled]), /does not authenticate with key b/);
  const data = Buffer.from(sealed!.data!);
  data[20] = data[20]! ^ 1;
  await assert.rejects(codec.decode([{ ...sealed!, data }]), /does not authenticate with key a/);
});

test('bad key material is refused with the key id, never the key', () => {
  const short = randomBytes(16).toString('base64');
  assert.throws(() => parseKeyring(`k1=${short}`, 'IDSYNC_KEYS'), (e: Error) => /IDSYNC_KEYS: key k1 is 16 bytes; AES-256 needs exactly 32/.test(e.message) && !e.message.includes(short));
  assert.throws(() => parseKeyring(`${keyLine('k1')}\n${keyLine('k1')}`, 'f'), /key id k1 is given twice/);
  assert.throws(() => parseKeyring('# only a comment\n', 'f'), /holds no key/);
  assert.deepEqual(parseKeyring(`# keys: <id>=<base64>, the first encrypts, all decrypt\n${keyLine('k1')}, ${keyLine('k2')}\n`, 'f').ids, ['k1', 'k2'], 'a comment may hold commas');
  assert.throws(() => parseKeyring(keyLine('k1'), 'f', 'k9'), /the active key k9 is not among the keys given \(k1\)/);
});

test('a missing key gives a clear error naming the setting', () => {
  assert.throws(() => idsyncDataConverter({}), (e: Error) => e instanceof EncryptionSetupError && e.message === MISSING_ENCRYPTION_MESSAGE);
  assert.match(MISSING_ENCRYPTION_MESSAGE, /encryption\.keysEnv .* encryption\.keyFile, or encryption: \{ mode: off \}/);
  assert.throws(() => loadKeyring({ mode: 'aes-256-gcm', keysEnv: 'IDSYNC_TEST_KEYS' }, {}), /encryption\.keysEnv \(IDSYNC_TEST_KEYS\): the environment variable is not set or empty/);
  const absent = join(testEnv.scratchDir('crypto-codec'), 'absent-keys');
  assert.throws(() => loadKeyring({ mode: 'aes-256-gcm', keyFile: absent }, {}), new RegExp(`encryption\\.keyFile \\(${absent}\\): cannot read the file: ENOENT`));
  const file = join(testEnv.scratchDir('crypto-codec'), 'keys');
  writeFileSync(file, `${keyLine('f1')}\n`, { mode: 0o600 });
  assert.equal(loadKeyring({ mode: 'aes-256-gcm', keyFile: file }, {}).activeKeyId, 'f1');
  assert.deepEqual(idsyncDataConverter({ encryption: { mode: 'off' } }), {}, 'mode: off is plaintext on purpose');
});

test('the strict config refuses inline keys by path and never echoes them', () => {
  const inline = randomBytes(32).toString('base64');
  const problems = (encryption: unknown): string[] => {
    try {
      validateConfig({ directory: { kind: 'ldap', url: 'ldap://127.0.0.1:389', people: { baseDn: 'ou=p' } }, targets: {}, policy: { targets: {} }, encryption }, 'x.yaml', undefined, {});
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(!err.message.includes(inline), 'the key is never printed');
      return err.problems.filter((p) => p.startsWith('encryption'));
    }
  };
  assert.deepEqual(problems({ keys: `k1=${inline}` }), [
    'encryption.keys: encryption keys never go in the config file (the value is not shown): put them in an environment variable named by encryption.keysEnv, or in a file named by encryption.keyFile',
    'encryption: give keysEnv (an environment variable holding the keys) or keyFile (a file holding them); mode: off runs unencrypted',
  ]);
  assert.match(problems({ keysEnv: 'K', key: inline }).join('\n'), /^encryption\.key: encryption keys never go in the config file/);
  assert.deepEqual(problems({ keysEnv: 'K', keyFile: '/k' }), ['encryption.keyFile: give keysEnv or keyFile, not both']);
  assert.deepEqual(problems({ mode: 'off', keysEnv: 'K' }), ['encryption.mode: off encrypts nothing: remove keysEnv/keyFile/activeKeyId, or remove mode: off']);
  assert.deepEqual(problems({ keysEnv: 'K' }), []);
  assert.deepEqual(problems({ mode: 'off' }), []);
});
