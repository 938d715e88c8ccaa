/**
 * Runs the HubSpot emulator as its own process:
 *   node --import tsx emulators/hubspot/main.ts [--port 4200] [--seed config/demo-catalog.yaml]
 *        [--tier starter|professional|enterprise] [--token-env HUBSPOT_TOKEN] [--state account.json]
 * The seed file is either a bare HubSpot seed or a catalog with a `hubspot:` section. Tokens come
 * from the named environment variable (comma-separated) so they never appear in `ps` output. With
 * --state the account is kept in that file across restarts (the seed only fills a new file).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { startHubspotEmulator } from '.';
import { hubspotSeedSchema, hubspotTierSchema, type HubspotSeed } from './seed';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4200' },
      seed: { type: 'string' },
      tier: { type: 'string' },
      'token-env': { type: 'string', default: 'HUBSPOT_EMULATOR_TOKENS' },
      state: { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port, got "${values.port}"`);
  let seed: HubspotSeed | undefined;
  if (values.seed) {
    const doc = parseYaml(readFileSync(values.seed, 'utf8')) as Record<string, unknown> | null;
    const section = doc && typeof doc === 'object' && 'hubspot' in doc ? doc.hubspot : doc;
    const parsed = hubspotSeedSchema.safeParse(section ?? {});
    if (!parsed.success) throw new Error(`${values.seed}: invalid HubSpot seed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    seed = section as HubspotSeed;
  }
  const tier = values.tier ? hubspotTierSchema.parse(values.tier) : undefined;
  const tokens = process.env[values['token-env']!]?.split(',').map((t) => t.trim()).filter(Boolean);
  const emulator = await startHubspotEmulator({ port, seed, tier, tokens, statePath: values.state });
  console.log(`hubspot emulator listening on ${emulator.url} (tier ${tier ?? hubspotSeedSchema.parse(seed ?? {}).tier}, ${emulator.store.userCount} seeded users)`);
  if (!tokens) console.log('no tokens configured: accepting the default emulator token');
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`hubspot emulator: ${(err as Error).message}`);
  process.exit(1);
});
