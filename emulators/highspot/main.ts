/**
 * Runs the Highspot emulator as a process: users and group membership are provisioned through
 * SCIM 2.0 under /scim/v2 (bearer token), and the REST v1.0 read side under /v1.0 (Basic
 * key:secret) reads the same store. Every Highspot-specific assumption lives in
 * targets/highspot/assumed-contract.ts.
 *   HIGHSPOT_EMULATOR_SCIM_TOKEN=... HIGHSPOT_EMULATOR_API_KEY=... HIGHSPOT_EMULATOR_API_SECRET=... \
 *     node --import tsx emulators/highspot/main.ts --port 0 [--seed config/demo-catalog.yaml] [--seed-json '{...}'] [--fault-seed 1]
 *       [--state resources.json]
 * With --state users, groups and recorded activity are kept in that file across restarts (the seed
 * only fills a new file).
 */
import { FaultController } from '../faults';
import { adminRouter, createEmulatorApp, createScimRouter, declareScimResources, scimFaultReplies } from '../scim/app';
import { announceAndServe, cliArgs, seedArgument } from '../scim/process';
import { scimSwitchesSchema } from '../scim/seed';
import { ScimStore, type SavedScimResources } from '../scim/store';
import { EmulatorStateFile, loadEmulatorState } from '../state-file';
import { HIGHSPOT_REST, HIGHSPOT_SCIM } from '../../targets/highspot/assumed-contract';
import express from 'express';
import { createHighspotRestRouter, highspotRestFaultReplies, LAST_ACTIVITY_EXTRA } from './rest';
import { createHighspotOnboardingRouter, onboardingItems } from './onboarding';
import { DEFAULT_HIGHSPOT_SEED, HIGHSPOT_ENV, highspotSeedSchema } from './seed';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

function main(): void {
  const args = cliArgs(process.argv.slice(2));
  const seed = highspotSeedSchema.parse(seedArgument(args, 'highspot', DEFAULT_HIGHSPOT_SEED));
  const switches = scimSwitchesSchema.parse({
    deleteMode: HIGHSPOT_SCIM.deleteDeactivates ? 'soft' : 'hard',
    patchStatus: HIGHSPOT_SCIM.patchStatus,
    etag: HIGHSPOT_SCIM.etag,
    defaultPageSize: HIGHSPOT_SCIM.defaultPageSize,
    maxPageSize: HIGHSPOT_SCIM.maxPageSize,
    userNameMustBeEmail: HIGHSPOT_SCIM.userNameIsEmail,
    groupsReadOnly: HIGHSPOT_SCIM.groupsReadOnly,
  });
  const statePath = args.get('state');
  const saved = statePath ? loadEmulatorState<SavedScimResources>(statePath, 'highspot') : undefined;
  const store = new ScimStore(switches, seed, saved);
  for (const user of saved ? [] : seed.users) {
    if (user.lastActivityAt) store.userByName(user.userName)!.extras[LAST_ACTIVITY_EXTRA] = user.lastActivityAt;
  }
  const stateFile = statePath ? new EmulatorStateFile(statePath, 'highspot', () => store.save()) : undefined;
  stateFile?.writeNow();
  declareScimResources(store);
  const faults = new FaultController(args.has('fault-seed') ? Number(args.get('fault-seed')) : undefined);
  const admin = adminRouter(faults, () => store.snapshot(), (router) => {
    // Stands in for a person signing in to Highspot, which nothing in the API can cause.
    router.put('/activity', (req, res) => {
      const { email, at } = req.body as { email?: string; at?: string };
      const user = email ? store.userByName(email) : undefined;
      if (!user) return void res.status(404).json({ message: `no user ${email}` });
      user.extras[LAST_ACTIVITY_EXTRA] = at ?? new Date().toISOString();
      res.json({ id: user.id, [LAST_ACTIVITY_EXTRA]: user.extras[LAST_ACTIVITY_EXTRA] });
    });
  });
  const app = createEmulatorApp(faults, admin, [
    { path: HIGHSPOT_SCIM.basePath, replies: scimFaultReplies(switches.retryAfterSeconds), router: createScimRouter(store, requiredEnv(HIGHSPOT_ENV.scimToken)) },
    {
      path: HIGHSPOT_REST.versionPrefix,
      replies: highspotRestFaultReplies(switches.retryAfterSeconds),
      // Read side first (its Basic auth guards every path), then access levels and assignments.
      router: express.Router().use(createHighspotRestRouter(store, requiredEnv(HIGHSPOT_ENV.apiKey), requiredEnv(HIGHSPOT_ENV.apiSecret)), createHighspotOnboardingRouter(store, onboardingItems(seed.onboarding))),
    },
  ], stateFile && (() => stateFile.changed()));
  const server = app.listen(Number(args.get('port') ?? 0), '127.0.0.1', () => announceAndServe(server, () => stateFile?.close()));
}

main();
