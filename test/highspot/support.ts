/** Shared set-up for Highspot tests: an emulator process and a connector bound to both of its sides. */
import { randomBytes } from 'node:crypto';
import { startHighspotEmulator, type HighspotEmulatorHandle, type HighspotSeed } from '../../emulators/highspot';
import { highspotConfigSchema, highspotTarget } from '../../targets/highspot';
import type { TargetAdapter } from '../../targets/adapter';

export interface HighspotCredentials {
  scimToken: string;
  apiKey: string;
  apiSecret: string;
}

export async function startEmulator(seed: HighspotSeed): Promise<{ emulator: HighspotEmulatorHandle; credentials: HighspotCredentials }> {
  const credentials = { scimToken: randomBytes(16).toString('hex'), apiKey: randomBytes(8).toString('hex'), apiSecret: randomBytes(16).toString('hex') };
  const emulator = await startHighspotEmulator({ ...credentials, seed, faultSeed: 11 });
  return { emulator, credentials };
}

export function highspotAdapter(emulator: HighspotEmulatorHandle, credentials: HighspotCredentials, overrides: Record<string, unknown> = {}): TargetAdapter {
  const config = highspotConfigSchema.parse({
    kind: 'highspot',
    baseUrl: emulator.scimUrl,
    restBaseUrl: emulator.restUrl,
    tokenEnv: 'HIGHSPOT_SCIM_TOKEN',
    apiKeyEnv: 'HIGHSPOT_API_KEY',
    apiSecretEnv: 'HIGHSPOT_API_SECRET',
    ...overrides,
  });
  return highspotTarget.createAdapter('highspot', config, {
    HIGHSPOT_SCIM_TOKEN: credentials.scimToken,
    HIGHSPOT_API_KEY: credentials.apiKey,
    HIGHSPOT_API_SECRET: credentials.apiSecret,
  });
}

export function basicAuth(credentials: HighspotCredentials): string {
  return `Basic ${Buffer.from(`${credentials.apiKey}:${credentials.apiSecret}`).toString('base64')}`;
}
