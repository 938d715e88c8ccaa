/** The keyed hash behind IdsyncUsernameKey (app/username-key.ts): keyed, case-insensitive, survives a key rotation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { activeUsernameKey, usernameKey, usernameKeySecrets } from '../../app/username-key';

const keyLine = (id: string) => `${id}=${randomBytes(32).toString('base64')}`;

test('the hash is keyed by the encryption key, never the key itself, and ignores case', () => {
  const env = { KEYS_A: keyLine('a'), KEYS_B: keyLine('b') };
  const a = { encryption: { mode: 'aes-256-gcm' as const, keysEnv: 'KEYS_A' } };
  const b = { encryption: { mode: 'aes-256-gcm' as const, keysEnv: 'KEYS_B' } };
  const [secretA] = usernameKeySecrets(a, env);
  assert.notDeepEqual(secretA, Buffer.from(env.KEYS_A.slice(2), 'base64'), 'derived (HKDF), not the encryption key');
  assert.match(usernameKey('nkowalski', secretA!), /^[0-9a-f]{64}$/);
  assert.equal(usernameKey('NKowalski ', secretA!), usernameKey('nkowalski', secretA!));
  assert.notEqual(usernameKey('nkowalski', secretA!), usernameKey('nkowalski', usernameKeySecrets(b, env)[0]!), 'another key, another hash');
  assert.equal(activeUsernameKey(a, 'nkowalski', env), usernameKey('nkowalski', secretA!));
});

test('after a rotation the old key still gives a lookup candidate; new hashes use the active key', () => {
  const oldKey = keyLine('old');
  const before = { encryption: { mode: 'aes-256-gcm' as const, keysEnv: 'K' } };
  const published = activeUsernameKey(before, 'leaver', { K: oldKey });
  const after = { encryption: { mode: 'aes-256-gcm' as const, keysEnv: 'K', activeKeyId: 'new' } };
  const env = { K: `${oldKey},${keyLine('new')}` };
  const candidates = usernameKeySecrets(after, env).map((secret) => usernameKey('leaver', secret));
  assert.equal(candidates.length, 2);
  assert.notEqual(candidates[0], published, 'the active (new) key first');
  assert.equal(candidates[1], published);
});

test('with encryption off the hash is an unkeyed pseudonym, the same everywhere', () => {
  const off = { encryption: { mode: 'off' as const } };
  const secrets = usernameKeySecrets(off, {});
  assert.equal(secrets.length, 1);
  assert.equal(usernameKey('someone', secrets[0]!), usernameKey('someone', usernameKeySecrets({ encryption: { mode: 'off' as const } }, {})[0]!));
});
