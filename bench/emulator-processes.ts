/**
 * The Salesforce and Highspot emulators in processes of their own for the benches, so their CPU is
 * not counted as idsync's. (HubSpot's is in hubspot-bulk-setup.ts.) Each is seeded from a file the
 * bench writes, and accepts only the credentials the bench passes through the environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, freePort, stopChild } from '../scripts/local-services';
import { spawnEmulator } from '../emulators/scim/process';
import { HIGHSPOT_ENV, type HighspotSeed } from '../emulators/highspot/seed';
import type { SalesforceSeed } from '../emulators/salesforce/seed';

export interface EmulatorHandle {
  url: string;
  close(): Promise<void>;
}

/** emulators/salesforce/main.ts with this seed and one connected app (client credentials). */
export async function startSalesforceProcess(dir: string, seed: SalesforceSeed, client: { id: string; secret: string }): Promise<EmulatorHandle> {
  const seedPath = join(dir, 'salesforce-seed.json');
  writeFileSync(seedPath, JSON.stringify(seed));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_ROOT, 'emulators/salesforce/main.ts'), '--port', String(port), '--seed', seedPath, '--client-id', client.id, '--client-secret-env', 'BENCH_SALESFORCE_SECRET'],
    { cwd: PROJECT_ROOT, env: { ...process.env, BENCH_SALESFORCE_SECRET: client.secret }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      const listening = /listening on (\S+)/.exec(output);
      if (listening) resolve(listening[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`salesforce emulator exited with ${code}: ${output}`)));
  });
  return { url, close: () => stopChild(child, 5000) };
}

export interface HighspotCredentials {
  scimToken: string;
  apiKey: string;
  apiSecret: string;
}

/** emulators/highspot/main.ts (SCIM under /scim/v2, REST under /v1.0) with this seed. */
export async function startHighspotProcess(dir: string, seed: HighspotSeed, credentials: HighspotCredentials): Promise<EmulatorHandle & { scimUrl: string; restUrl: string }> {
  const seedPath = join(dir, 'highspot-seed.json');
  writeFileSync(seedPath, JSON.stringify(seed));
  const emulator = await spawnEmulator(join(PROJECT_ROOT, 'emulators/highspot/main.ts'), ['--port', '0', '--seed', seedPath], {
    [HIGHSPOT_ENV.scimToken]: credentials.scimToken,
    [HIGHSPOT_ENV.apiKey]: credentials.apiKey,
    [HIGHSPOT_ENV.apiSecret]: credentials.apiSecret,
  });
  return { url: emulator.origin, scimUrl: `${emulator.origin}/scim/v2`, restUrl: `${emulator.origin}/v1.0`, close: () => emulator.close() };
}
