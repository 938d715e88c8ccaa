import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { newKeyLine } from '../lib/encryption-codec';

/**
 * Credentials of the embedded demo: made up once per machine, kept in a 0600 file under .idsync/,
 * handed to idsync only through environment variables (as real secrets are), and never printed.
 */
export const DEMO_SECRET_NAMES = [
  'LDAP_BIND_PASSWORD',
  'SALESFORCE_CLIENT_SECRET',
  'HUBSPOT_ACCESS_TOKEN',
  'HIGHSPOT_SCIM_TOKEN',
  'HIGHSPOT_API_KEY',
  'HIGHSPOT_API_SECRET',
  'SUPPORT_DESK_SCIM_TOKEN',
  'IDSYNC_INTAKE_HMAC_SECRET',
  /** The codec server's access token (the demo UI's codec endpoint carries it). */
  'IDSYNC_CODEC_TOKEN',
] as const;
export type DemoSecrets = Record<(typeof DEMO_SECRET_NAMES)[number], string>;

function freshSecret(name: string): string {
  if (name === 'HUBSPOT_ACCESS_TOKEN') return `pat-na1-${randomUUID()}`;
  return randomBytes(18).toString('base64url');
}

export function loadOrCreateDemoSecrets(file: string): DemoSecrets {
  const existing: Record<string, string> = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) existing[m[1]!] = m[2]!;
    }
  }
  const secrets = Object.fromEntries(DEMO_SECRET_NAMES.map((n) => [n, existing[n] || freshSecret(n)])) as DemoSecrets;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, DEMO_SECRET_NAMES.map((n) => `${n}=${secrets[n]}`).join('\n') + '\n', { mode: 0o600 });
  return secrets;
}

/**
 * The demo's encryption key: made once per state directory (mode 600), kept with the history it
 * encrypts, so a restarted demo still reads its old runs. Deleting .idsync/ deletes both.
 */
export function loadOrCreateDemoKeyFile(file: string, now: Date = new Date()): void {
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true });
  const header = '# idsync demo encryption keys: <id>=<base64 of 32 bytes>; the first one encrypts, all decrypt.\n';
  writeFileSync(file, `${header}${newKeyLine(`demo-${now.toISOString().slice(0, 10)}`)}\n`, { mode: 0o600, flag: 'wx' });
}
