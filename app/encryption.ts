/**
 * The `encryption:` section of the config and the one DataConverter every idsync Client and Worker
 * uses (app/temporal-connection.ts hands it out). Keys come from an environment variable or a file the
 * config names, never from the config itself. A config without the section does not start: idsync
 * runs unencrypted only when told so (`encryption: { mode: off }`).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { DataConverter } from '@temporalio/common';
import { envVarName, strictObject } from '../lib/config-schema';
import { AesGcmCodec, KeyringError, parseKeyring, type Keyring } from '../lib/encryption-codec';

const keyId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'key ids are 1-64 letters, digits, dots, dashes or underscores');
const INLINE_KEY_FIELDS = ['key', 'keys'] as const;

export const codecServerConfigSchema = strictObject({
  /** Loopback by default; in a container, 0.0.0.0 behind the network you expose it on. */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(8089),
  /** Environment variable holding the codec server's access token (bearer, or the endpoint's path). */
  tokenEnv: envVarName,
  /** Browser origins allowed to call it (the Temporal UI's); default: the origin of temporal.uiUrl. */
  corsOrigins: z.array(z.url().transform((url) => new URL(url).origin)).optional(),
});

export const encryptionConfigSchema = strictObject({
  mode: z.enum(['aes-256-gcm', 'off']).default('aes-256-gcm'),
  /** Environment variable holding the keys: `<id>=<base64 of 32 bytes>`, comma- or newline-separated. */
  keysEnv: envVarName.optional(),
  /** File holding the keys, one `<id>=<base64>` per line (mode 600). */
  keyFile: z.string().min(1).optional(),
  /** The key that encrypts; the others only decrypt. Default: the first key listed. */
  activeKeyId: keyId.optional(),
  codecServer: codecServerConfigSchema.optional(),
  // Accepted only to be refused with a message naming the path (and never the value).
  key: z.unknown().optional(),
  keys: z.unknown().optional(),
}).superRefine((section, ctx) => {
  for (const field of INLINE_KEY_FIELDS) {
    if (section[field] === undefined) continue;
    ctx.addIssue({
      code: 'custom',
      path: [field],
      message: 'encryption keys never go in the config file (the value is not shown): put them in an environment variable named by encryption.keysEnv, or in a file named by encryption.keyFile',
    });
  }
  const sources = [section.keysEnv, section.keyFile].filter((s) => s !== undefined).length;
  if (section.mode === 'off' && (sources > 0 || section.activeKeyId)) {
    ctx.addIssue({ code: 'custom', path: ['mode'], message: 'off encrypts nothing: remove keysEnv/keyFile/activeKeyId, or remove mode: off' });
  }
  if (section.mode === 'aes-256-gcm' && sources !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: sources === 0 ? [] : ['keyFile'],
      message: sources === 0 ? 'give keysEnv (an environment variable holding the keys) or keyFile (a file holding them); mode: off runs unencrypted' : 'give keysEnv or keyFile, not both',
    });
  }
});

export type EncryptionConfig = z.infer<typeof encryptionConfigSchema>;
export type CodecServerConfig = z.infer<typeof codecServerConfigSchema>;

/** Why idsync will not start: names the setting, never a key. */
export class EncryptionSetupError extends Error {
  override name = 'EncryptionSetupError';
}

export const MISSING_ENCRYPTION_MESSAGE =
  'encryption: not configured. idsync writes personal data to Temporal history only encrypted: set encryption.keysEnv ' +
  '(an environment variable holding <id>=<base64 of 32 bytes>) or encryption.keyFile, or encryption: { mode: off } to run unencrypted on purpose';

/** The keys the section names, read now. Throws EncryptionSetupError naming the variable or file. */
export function loadKeyring(section: EncryptionConfig, env: NodeJS.ProcessEnv = process.env): Keyring {
  let text: string;
  let source: string;
  if (section.keysEnv) {
    source = `encryption.keysEnv (${section.keysEnv})`;
    text = env[section.keysEnv] ?? '';
    if (!text.trim()) throw new EncryptionSetupError(`${source}: the environment variable is not set or empty; it must hold the keys as <id>=<base64 of 32 bytes>`);
  } else if (section.keyFile) {
    source = `encryption.keyFile (${section.keyFile})`;
    try {
      text = readFileSync(section.keyFile, 'utf8');
    } catch (err) {
      throw new EncryptionSetupError(`${source}: cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    throw new EncryptionSetupError(MISSING_ENCRYPTION_MESSAGE);
  }
  try {
    return parseKeyring(text, source, section.activeKeyId);
  } catch (err) {
    if (err instanceof KeyringError) throw new EncryptionSetupError(err.message);
    throw err;
  }
}

/** Loaded by path in clients, workers and the workflow bundle (see lib/encoded-failure-converter.ts). */
export const ENCODED_FAILURE_CONVERTER_PATH = require.resolve('../lib/encoded-failure-converter');

/** The data converter for a keyring: payloads sealed with its active key, failures' text encoded too. */
export function encryptingDataConverter(keyring: Keyring): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(keyring)], failureConverterPath: ENCODED_FAILURE_CONVERTER_PATH };
}

/**
 * The one data converter for idsync's clients and workers. Without an `encryption:` section it refuses
 * to start (EncryptionSetupError); `mode: off` gives the SDK's default (plaintext) on purpose.
 */
export function idsyncDataConverter(config: { encryption?: EncryptionConfig }, env: NodeJS.ProcessEnv = process.env): DataConverter {
  const section = config.encryption;
  if (!section) throw new EncryptionSetupError(MISSING_ENCRYPTION_MESSAGE);
  if (section.mode === 'off') return {};
  return encryptingDataConverter(loadKeyring(section, env));
}
