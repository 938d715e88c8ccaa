/**
 * A keyed hash of a person's username, published as the person workflow's IdsyncUsernameKey search
 * attribute. Search attributes are never encrypted, so the username itself never goes there; the hash
 * lets `idsync status <username>` find a person the directory no longer has (a leaver deleted outright)
 * without putting personal data in plaintext into Temporal's visibility store.
 *
 * HMAC-SHA256 of the lower-cased username, keyed by HKDF-SHA256 of the payload encryption key with an
 * idsync-specific label, so the hashing key is never the encryption key itself. Every key of the
 * keyring gives a candidate when looking up (a person hashed before a key rotation is still found while
 * the old key is kept to decrypt their history); new hashes use the active key.
 *
 * With `encryption: { mode: off }` there is no secret: the label alone keys the HMAC, so the value is a
 * pseudonym anyone can recompute from a guessed username. That hides nothing that history does not
 * already show in plaintext in that mode, and `status` still works.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { EncryptionConfig } from './encryption';
import { loadKeyring } from './encryption';

const HKDF_LABEL = 'idsync username search key v1';
const UNKEYED_SECRET = Buffer.from('idsync encryption off', 'utf8');

function derive(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), HKDF_LABEL, 32));
}

/** The hashing keys, active first; one per encryption key (a single label-only key with encryption off). */
export function usernameKeySecrets(config: { encryption?: EncryptionConfig }, env: NodeJS.ProcessEnv = process.env): Buffer[] {
  const section = config.encryption;
  if (!section || section.mode === 'off') return [derive(UNKEYED_SECRET)];
  const keyring = loadKeyring(section, env);
  const ids = [keyring.activeKeyId, ...keyring.ids.filter((id) => id !== keyring.activeKeyId)];
  return ids.map((id) => derive(keyring.key(id)!));
}

/** The search attribute value for a username: hex HMAC-SHA256 under one hashing key. */
export function usernameKey(username: string, secret: Buffer): string {
  return createHmac('sha256', secret).update(username.trim().toLowerCase(), 'utf8').digest('hex');
}

const cache = new WeakMap<object, Buffer>();

/** The value a run publishes for the person now: under the active key, derived once per configuration. */
export function activeUsernameKey(config: { encryption?: EncryptionConfig }, username: string, env: NodeJS.ProcessEnv = process.env): string {
  let secret = cache.get(config);
  if (!secret) {
    secret = usernameKeySecrets(config, env)[0]!;
    cache.set(config, secret);
  }
  return usernameKey(username, secret);
}
