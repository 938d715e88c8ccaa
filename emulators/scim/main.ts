/**
 * Runs one SCIM service-provider emulator as a process:
 *   SCIM_EMULATOR_TOKEN=... node --import tsx emulators/scim/main.ts --port 0 [--seed seed.yaml|config/demo-catalog.yaml]
 *     [--seed-json '{...}'] [--switches '{"deleteMode":"soft"}'] [--fault-seed 42]
 * Prints `EMULATOR_READY {"port":n}` once listening.
 */
import { FaultController } from '../faults';
import { createScimApp, declareScimResources } from './app';
import { announceAndServe, cliArgs, seedArgument } from './process';
import { DEFAULT_SCIM_SEED, SCIM_TOKEN_ENV, scimSeedSchema, scimSwitchesSchema } from './seed';
import { ScimStore } from './store';

function main(): void {
  const args = cliArgs(process.argv.slice(2));
  const token = process.env[SCIM_TOKEN_ENV];
  if (!token) throw new Error(`${SCIM_TOKEN_ENV} must be set`);
  const seed = scimSeedSchema.parse(seedArgument(args, 'scim', DEFAULT_SCIM_SEED));
  const switches = scimSwitchesSchema.parse(args.has('switches') ? JSON.parse(args.get('switches')!) : {});
  const faults = new FaultController(args.has('fault-seed') ? Number(args.get('fault-seed')) : undefined);
  const store = new ScimStore(switches, seed);
  declareScimResources(store);
  const app = createScimApp(store, token, faults);
  const server = app.listen(Number(args.get('port') ?? 0), '127.0.0.1', () => announceAndServe(server));
}

main();
