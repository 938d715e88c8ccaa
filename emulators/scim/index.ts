/**
 * Starts a SCIM 2.0 service-provider emulator in a child process (scimmy is a per-process
 * singleton) and returns a handle to steer it over its admin endpoints.
 */
import { join, resolve } from 'node:path';
import type { FaultSettings } from '../faults';
import { spawnEmulator, type FaultReport } from './process';
import { SCIM_TOKEN_ENV, type ScimSeed, type ScimSwitches } from './seed';

export type { ScimSeed, ScimSwitches } from './seed';
export { DEFAULT_SCIM_SEED } from './seed';

export interface ScimEmulatorOptions {
  port?: number;
  seed?: ScimSeed;
  token: string;
  switches?: ScimSwitches;
  faultSeed?: number;
  /**
   * Keep users and groups in this JSON file: loaded at start when it exists (the seed is then
   * ignored), rewritten atomically after writes and when the emulator stops. Default: memory only.
   */
  statePath?: string;
}

export interface ScimEmulatorState {
  users: Array<Record<string, unknown> & { id: string; userName: string; active: boolean }>;
  groups: Array<Record<string, unknown> & { id: string; displayName: string; members: Array<{ value: string }> }>;
  versionConflicts: number;
  faults: FaultReport;
}

export interface ScimEmulatorHandle {
  /** Base URL including /scim/v2. */
  url: string;
  close(): Promise<void>;
  setFaults(partial: Partial<FaultSettings>): Promise<FaultReport>;
  resetFaults(): Promise<FaultReport>;
  state(): Promise<ScimEmulatorState>;
}

export async function startScimEmulator(opts: ScimEmulatorOptions): Promise<ScimEmulatorHandle> {
  const args = ['--port', String(opts.port ?? 0)];
  if (opts.seed) args.push('--seed-json', JSON.stringify(opts.seed));
  if (opts.switches) args.push('--switches', JSON.stringify(opts.switches));
  if (opts.faultSeed !== undefined) args.push('--fault-seed', String(opts.faultSeed));
  // The emulator process runs from the project root: hand it an absolute path.
  if (opts.statePath) args.push('--state', resolve(opts.statePath));
  const proc = await spawnEmulator(join(__dirname, 'main.ts'), args, { [SCIM_TOKEN_ENV]: opts.token });
  return {
    url: `${proc.origin}/scim/v2`,
    close: () => proc.close(),
    setFaults: (partial) => proc.admin<FaultReport>('PUT', '/faults', partial),
    resetFaults: () => proc.admin<FaultReport>('DELETE', '/faults'),
    state: () => proc.admin<ScimEmulatorState>('GET', '/state'),
  };
}
