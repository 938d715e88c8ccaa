/**
 * Starts the Highspot emulator (SCIM write side + REST v1.0 read side) in a child process and
 * returns a handle to steer it over its admin endpoints.
 */
import { join, resolve } from 'node:path';
import type { FaultSettings } from '../faults';
import type { ScimEmulatorState } from '../scim';
import { spawnEmulator, type FaultReport } from '../scim/process';
import { HIGHSPOT_REST, HIGHSPOT_SCIM } from '../../targets/highspot/assumed-contract';
import { HIGHSPOT_ENV, type HighspotSeed } from './seed';

export type { HighspotSeed } from './seed';
export { DEFAULT_HIGHSPOT_SEED } from './seed';

export interface HighspotEmulatorOptions {
  port?: number;
  seed?: HighspotSeed;
  /** Bearer token of the SCIM side. */
  scimToken: string;
  /** Basic auth key:secret of the REST side. */
  apiKey: string;
  apiSecret: string;
  faultSeed?: number;
  /**
   * Keep users and groups in this JSON file: loaded at start when it exists (the seed is then
   * ignored), rewritten atomically after writes and when the emulator stops. Default: memory only.
   */
  statePath?: string;
}

export interface HighspotEmulatorHandle {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** SCIM base URL including /scim/v2. */
  scimUrl: string;
  /** REST base URL including /v1.0. */
  restUrl: string;
  close(): Promise<void>;
  setFaults(partial: Partial<FaultSettings>): Promise<FaultReport>;
  resetFaults(): Promise<FaultReport>;
  state(): Promise<ScimEmulatorState>;
  /** Simulates the person signing in (sets last activity, makes the user "verified"). */
  recordActivity(email: string, at?: string): Promise<void>;
}

export async function startHighspotEmulator(opts: HighspotEmulatorOptions): Promise<HighspotEmulatorHandle> {
  const args = ['--port', String(opts.port ?? 0)];
  if (opts.seed) args.push('--seed-json', JSON.stringify(opts.seed));
  if (opts.faultSeed !== undefined) args.push('--fault-seed', String(opts.faultSeed));
  // The emulator process runs from the project root: hand it an absolute path.
  if (opts.statePath) args.push('--state', resolve(opts.statePath));
  const proc = await spawnEmulator(join(__dirname, 'main.ts'), args, {
    [HIGHSPOT_ENV.scimToken]: opts.scimToken,
    [HIGHSPOT_ENV.apiKey]: opts.apiKey,
    [HIGHSPOT_ENV.apiSecret]: opts.apiSecret,
  });
  return {
    origin: proc.origin,
    scimUrl: `${proc.origin}${HIGHSPOT_SCIM.basePath}`,
    restUrl: `${proc.origin}${HIGHSPOT_REST.versionPrefix}`,
    close: () => proc.close(),
    setFaults: (partial) => proc.admin<FaultReport>('PUT', '/faults', partial),
    resetFaults: () => proc.admin<FaultReport>('DELETE', '/faults'),
    state: () => proc.admin<ScimEmulatorState>('GET', '/state'),
    recordActivity: async (email, at) => {
      await proc.admin('PUT', '/activity', { email, at });
    },
  };
}
