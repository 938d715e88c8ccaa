/**
 * Runs the Salesforce emulator as its own process for the demo and out-of-process tests:
 *   node --import tsx emulators/salesforce/main.ts --port 4100 --seed config/demo-catalog.yaml [--state org.json]
 * A seed file may be the whole demo catalog (its `salesforce` section is used) or just that section.
 * With --state the org is kept in that file across restarts (the seed only fills a new file).
 * Prints `salesforce emulator listening on <url>` once ready; stops on SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { startSalesforceEmulator, salesforceSeedSchema } from '.';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      seed: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-env': { type: 'string' },
      'query-batch-size': { type: 'string' },
      state: { type: 'string' },
    },
  });
  let seed;
  if (values.seed) {
    const doc = parseYaml(readFileSync(values.seed, 'utf8')) as Record<string, unknown>;
    seed = salesforceSeedSchema.parse(doc && typeof doc === 'object' && 'salesforce' in doc ? doc.salesforce : doc);
  }
  const secret = values['client-secret-env'] ? process.env[values['client-secret-env']] : undefined;
  if (values['client-secret-env'] && !secret) throw new Error(`environment variable ${values['client-secret-env']} is not set`);
  const emulator = await startSalesforceEmulator({
    port: Number(values.port),
    seed,
    clients: values['client-id'] && secret ? [{ clientId: values['client-id'], clientSecret: secret }] : undefined,
    queryBatchSize: values['query-batch-size'] ? Number(values['query-batch-size']) : undefined,
    statePath: values.state,
  });
  console.log(`salesforce emulator listening on ${emulator.url}`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`salesforce emulator: ${(err as Error).message}`);
  process.exit(1);
});
