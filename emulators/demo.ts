/**
 * Starts the four target emulators for the embedded demo (`npm start`), seeded from
 * config/demo-catalog.yaml and accepting exactly the credentials the demo config names. Each keeps
 * its data in `<stateDir>/<emulator>.json`, so a restart finds the accounts (and ids) idsync made.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PROJECT_ROOT } from '../scripts/local-services';
import type { DemoSecrets } from '../starters/demo-secrets';
import { startSalesforceEmulator, salesforceSeedSchema } from './salesforce';
import { startHubspotEmulator, hubspotSeedSchema } from './hubspot';
import { startHighspotEmulator } from './highspot';
import { startScimEmulator } from './scim';

export interface RunningEmulator {
  label: string;
  url: string;
  /** Its state file was there at start: it came back with its data rather than from the seed. */
  keptState: boolean;
  close(): Promise<void>;
}

/** Where each demo emulator keeps its data inside `stateDir`. */
export function demoEmulatorStatePaths(stateDir: string) {
  return {
    salesforce: join(stateDir, 'salesforce.json'),
    hubspot: join(stateDir, 'hubspot.json'),
    highspot: join(stateDir, 'highspot.json'),
    scim: join(stateDir, 'support-desk-scim.json'),
  };
}

export const DEMO_SALESFORCE_CLIENT_ID = 'idsync-demo';

export interface DemoEmulatorPorts {
  salesforce: number;
  hubspot: number;
  highspot: number;
  scim: number;
}

export function demoEmulatorPorts(env: NodeJS.ProcessEnv = process.env): DemoEmulatorPorts {
  const base = Number(env.IDSYNC_EMULATOR_PORT_BASE ?? 4100);
  return { salesforce: base, hubspot: base + 100, highspot: base + 200, scim: base + 300 };
}

export async function startDemoEmulators(secrets: DemoSecrets, ports: DemoEmulatorPorts, stateDir: string): Promise<RunningEmulator[]> {
  const catalog = parseYaml(readFileSync(join(PROJECT_ROOT, 'config', 'demo-catalog.yaml'), 'utf8')) as Record<string, unknown>;
  const statePaths = demoEmulatorStatePaths(stateDir);
  const kept = Object.fromEntries(Object.entries(statePaths).map(([name, path]) => [name, existsSync(path)])) as Record<keyof typeof statePaths, boolean>;
  const started: RunningEmulator[] = [];
  try {
    const sf = await startSalesforceEmulator({
      port: ports.salesforce,
      seed: salesforceSeedSchema.parse(catalog.salesforce),
      clients: [{ clientId: DEMO_SALESFORCE_CLIENT_ID, clientSecret: secrets.SALESFORCE_CLIENT_SECRET }],
      statePath: statePaths.salesforce,
    });
    started.push({ label: 'Salesforce emulator', url: sf.url, keptState: kept.salesforce, close: () => sf.close() });
    const hs = await startHubspotEmulator({ port: ports.hubspot, seed: hubspotSeedSchema.parse(catalog.hubspot), tokens: [secrets.HUBSPOT_ACCESS_TOKEN], statePath: statePaths.hubspot });
    started.push({ label: 'HubSpot emulator', url: hs.url, keptState: kept.hubspot, close: () => hs.close() });
    const hp = await startHighspotEmulator({
      port: ports.highspot,
      seed: catalog.highspot as never,
      scimToken: secrets.HIGHSPOT_SCIM_TOKEN,
      apiKey: secrets.HIGHSPOT_API_KEY,
      apiSecret: secrets.HIGHSPOT_API_SECRET,
      statePath: statePaths.highspot,
    });
    started.push({ label: 'Highspot emulator', url: `${hp.scimUrl} (SCIM), ${hp.restUrl} (REST)`, keptState: kept.highspot, close: () => hp.close() });
    const scim = await startScimEmulator({ port: ports.scim, seed: catalog.scim as never, token: secrets.SUPPORT_DESK_SCIM_TOKEN, statePath: statePaths.scim });
    started.push({ label: 'SCIM emulator (support desk)', url: scim.url, keptState: kept.scim, close: () => scim.close() });
    return started;
  } catch (err) {
    await Promise.allSettled(started.map((e) => e.close()));
    throw new Error(`could not start the target emulators (ports ${Object.values(ports).join(', ')} free? IDSYNC_EMULATOR_PORT_BASE moves them): ${(err as Error).message}`);
  }
}
