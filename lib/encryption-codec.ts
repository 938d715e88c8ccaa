import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * idsync's payload codec: every payload (workflow and activity inputs and results, signals, queries,
 * memos, user metadata, encoded failure attributes) is sealed with AES-256-GCM before it reaches the
 * Temporal server, so the cluster and its database hold no personal data in plaintext.
 *
 * Rotation: the keyring holds several keys; the active one encrypts, every one decrypts. The key id
 * travels in the payload's metadata (the key never does), so a payload names the key it needs.
 * Payloads written before encryption was switched on pass through decode unchanged.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export class KeyringError extends Error {
  override name = 'KeyringError';
}

/** The keys a process holds, by id; `activeKeyId` encrypts. Never printed: only ids appear in messages. */
export class Keyring {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    keys: ReadonlyMap<string, Buffer>,
    readonly activeKeyId: string,
  ) {
    for (const [id, key] of keys) {
      if (!KEY_ID_PATTERN.test(id)) throw new KeyringError(`key id "${id.slice(0, 64)}" must be 1-64 letters, digits, dots, dashes or underscores`);
      if (key.length !== KEY_BYTES) throw new KeyringError(`key ${id} is ${key.length} bytes; AES-256 needs exactly ${KEY_BYTES} (base64 of 32 random bytes: openssl rand -base64 32)`);
    }
    if (!keys.has(activeKeyId)) throw new KeyringError(`the active key ${activeKeyId} is not among the keys given (${[...keys.keys()].join(', ') || 'none'})`);
    this.keys = keys;
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.keys.get(id);
  }
}

/**
 * Parses keys written as `<id>=<base64 of 32 bytes>`, one per line or comma-separated (`#` starts a
 * comment line). The first key listed is the active one unless `activeKeyId` names another.
 * `source` names where the text came from, for messages (which never include key material).
 */
export function parseKeyring(text: string, source: string, activeKeyId?: string): Keyring {
  const keys = new Map<string, Buffer>();
  // Comment lines go first: a comment may itself contain commas.
  const entries = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf('=');
    const id = separator > 0 ? entry.slice(0, separator).trim() : '';
    if (!id) throw new KeyringError(`${source}: entry ${index + 1} is not <key id>=<base64 key>`);
    if (keys.has(id)) throw new KeyringError(`${source}: key id ${id} is given twice`);
    const material = entry.slice(separator + 1).trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) throw new KeyringError(`${source}: key ${id} is not base64`);
    keys.set(id, Buffer.from(material, material.includes('-') || material.includes('_') ? 'base64url' : 'base64'));
  }
  if (keys.size === 0) throw new KeyringError(`${source}: holds no key (expected <key id>=<base64 of 32 bytes>, one per line)`);
  try {
    return new Keyring(keys, activeKeyId ?? [...keys.keys()][0]!);
  } catch (err) {
    throw new KeyringError(`${source}: ${(err as Error).message}`);
  }
}

/** A new key for a keyring file: `<id>=<base64>`. */
export function newKeyLine(id: string): string {
  return `${id}=${randomBytes(KEY_BYTES).toString('base64')}`;
}

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.seal(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.open(payload));
  }

  private seal(payload: Payload): Payload {
    const keyId = this.keyring.activeKeyId;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.key(keyId)!, nonce);
    // The key id is authenticated too: a payload relabelled with another id fails instead of decrypting.
    cipher.setAAD(Buffer.from(keyId, 'utf8'));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(keyId), [CIPHER_METADATA]: utf8(CIPHER) },
      data: new Uint8Array(sealed),
    };
  }

  private open(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new ValueError('an encrypted payload carries no encryption-key-id');
    const key = this.keyring.key(keyId);
    if (!key) {
      throw new ValueError(`payload encrypted with key ${keyId.slice(0, 64)}, which this process does not hold (it holds ${this.keyring.ids.join(', ')}); keep retired keys in the keyring for decoding`);
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < NONCE_BYTES + TAG_BYTES) throw new ValueError(`encrypted payload (key ${keyId}) is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new ValueError(`encrypted payload does not authenticate with key ${keyId}: wrong key material under that id, or the payload was altered`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}
