/**
 * Runs one SCIM service-provider emulator as a process:
 *   SCIM_EMULATOR_TOKEN=... node --import tsx emulators/scim/main.ts --port 0 [--seed seed.yaml|config/demo-catalog.yaml]
 *     [--seed-json '{...}'] [--switches '{"deleteMode":"soft"}'] [--fault-seed 42] [--state resources.json]
 * With --state the users and groups are kept in that file across restarts (the seed only fills a new
 * file). Prints `EMULATOR_READY {"port":n}` once listening.
 */
import { FaultController } from '../faults';
import { createScimApp, declareScimResources } from './app';
import { announceAndServe, cliArgs, seedArgument } from './process';
import { DEFAULT_SCIM_SEED, SCIM_TOKEN_ENV, scimSeedSchema, scimSwitchesSchema } from './seed';
import { ScimStore, type SavedScimResources } from './store';
import { EmulatorStateFile, loadEmulatorState } from '../state-file';

function main(): void {
  const args = cliArgs(process.argv.slice(2));
  const token = process.env[SCIM_TOKEN_ENV];
  if (!token) throw new Error(`${SCIM_TOKEN_ENV} must be set`);
  const seed = scimSeedSchema.parse(seedArgument(args, 'scim', DEFAULT_SCIM_SEED));
  const switches = scimSwitchesSchema.parse(args.has('switches') ? JSON.parse(args.get('switches')!) : {});
  const faults = new FaultController(args.has('fault-seed') ? Number(args.get('fault-seed')) : undefined);
  const statePath = args.get('state');
  const store = new ScimStore(switches, seed, statePath ? loadEmulatorState<SavedScimResources>(statePath, 'scim') : undefined);
  const stateFile = statePath ? new EmulatorStateFile(statePath, 'scim', () => store.save()) : undefined;
  stateFile?.writeNow();
  declareScimResources(store);
  const app = createScimApp(store, token, faults, stateFile && (() => stateFile.changed()));
  const server = app.listen(Number(args.get('port') ?? 0), '127.0.0.1', () => announceAndServe(server, () => stateFile?.close()));
}

main();
