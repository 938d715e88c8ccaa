/**
 * Membership reads at constant cost: the SCIM and Highspot connectors' findAccount and their
 * entitlement read (ensureEntitlements with what the account already has, so it only reads), per
 * call, with 10 people and with 10,000 people in the service provider, groups growing with the
 * people (every person in two of eight groups). Each emulator runs in a process of its own, seeded
 * from a file, so its CPU is not idsync's; the two sizes run side by side and are called in turn.
 * Prints requests and ms per call at both sizes and the ratio 10,000 / 10; goal ~1.0 (the cost
 * must not grow with the tenant).
 *   node --import tsx bench/membership.ts [--calls N]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnEmulator, type EmulatorProcess } from '../emulators/scim/process';
import { SCIM_TOKEN_ENV } from '../emulators/scim/seed';
import { HIGHSPOT_ENV } from '../emulators/highspot/seed';
import { HIGHSPOT_REST, HIGHSPOT_SCIM } from '../targets/highspot/assumed-contract';
import { scimConfigSchema, scimTarget } from '../targets/scim';
import { highspotConfigSchema, highspotTarget } from '../targets/highspot';
import type { TargetAdapter } from '../targets/adapter';
import type { Entitlement } from '../domain/account';

const SIZES = [10, 10_000];
const GROUPS = ['Sales', 'Support', 'Engineering', 'Marketing', 'Finance', 'Legal', 'Operations', 'People'];
const callsAt = process.argv.indexOf('--calls');
const CALLS = callsAt > 0 ? Number(process.argv[callsAt + 1]) : 100;

const anchorOf = (i: number) => `anchor-${String(i).padStart(6, '0')}`;
const emailOf = (i: number) => `person${i}@example.com`;
const groupsOf = (i: number) => [GROUPS[i % GROUPS.length]!, GROUPS[(i + 3) % GROUPS.length]!];

function seedFor(people: number) {
  const users = [];
  for (let i = 0; i < people; i++) {
    users.push({ userName: emailOf(i), externalId: anchorOf(i), givenName: 'Person', familyName: `N${i}`, email: emailOf(i), groups: groupsOf(i) });
  }
  return { groups: GROUPS, users };
}

/** Counts the HTTP requests the connectors send (they all go through fetch). */
let requests = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
  requests++;
  return realFetch(...args);
}) as typeof fetch;

interface Started {
  emulator: EmulatorProcess;
  adapter: TargetAdapter;
}

async function startScim(seedFile: string): Promise<Started> {
  const token = randomBytes(16).toString('hex');
  const emulator = await spawnEmulator(join(__dirname, '..', 'emulators', 'scim', 'main.ts'), ['--port', '0', '--seed', seedFile], { [SCIM_TOKEN_ENV]: token }, 120_000);
  const config = scimConfigSchema.parse({ kind: 'scim', baseUrl: `${emulator.origin}/scim/v2`, tokenEnv: 'BENCH_SCIM_TOKEN' });
  return { emulator, adapter: scimTarget.createAdapter('scim', config, { BENCH_SCIM_TOKEN: token }) };
}

async function startHighspot(seedFile: string): Promise<Started> {
  const secrets = { scimToken: randomBytes(16).toString('hex'), apiKey: randomBytes(8).toString('hex'), apiSecret: randomBytes(16).toString('hex') };
  const emulator = await spawnEmulator(
    join(__dirname, '..', 'emulators', 'highspot', 'main.ts'),
    ['--port', '0', '--seed', seedFile],
    { [HIGHSPOT_ENV.scimToken]: secrets.scimToken, [HIGHSPOT_ENV.apiKey]: secrets.apiKey, [HIGHSPOT_ENV.apiSecret]: secrets.apiSecret },
    120_000,
  );
  const config = highspotConfigSchema.parse({
    kind: 'highspot',
    baseUrl: `${emulator.origin}${HIGHSPOT_SCIM.basePath}`,
    restBaseUrl: `${emulator.origin}${HIGHSPOT_REST.versionPrefix}`,
    tokenEnv: 'BENCH_HS_TOKEN',
    apiKeyEnv: 'BENCH_HS_KEY',
    apiSecretEnv: 'BENCH_HS_SECRET',
  });
  return { emulator, adapter: highspotTarget.createAdapter('highspot', config, { BENCH_HS_TOKEN: secrets.scimToken, BENCH_HS_KEY: secrets.apiKey, BENCH_HS_SECRET: secrets.apiSecret }) };
}

interface PerCall {
  requests: number;
  ms: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function perCall(work: () => Promise<unknown>): Promise<PerCall> {
  const before = requests;
  const started = process.hrtime.bigint();
  await work();
  return { requests: requests - before, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** One findAccount and one entitlement read for person `i`, each timed and counted. */
async function callsFor(adapter: TargetAdapter, i: number): Promise<{ find: PerCall; read: PerCall }> {
  const match = { anchor: anchorOf(i), email: emailOf(i), username: emailOf(i) };
  let accountId = '';
  const find = await perCall(async () => {
    const account = await adapter.findAccount(match);
    if (!account) throw new Error(`person ${i} was not found`);
    const names = account.entitlements.filter((e) => e.kind === 'group').map((e) => e.name).sort();
    if (names.join() !== [...groupsOf(i)].sort().join()) throw new Error(`person ${i} has groups ${names.join()}, expected ${groupsOf(i).join()}`);
    accountId = account.id;
  });
  const desired: Entitlement[] = groupsOf(i).map((name) => ({ kind: 'group', name }));
  const read = await perCall(async () => {
    const changes = await adapter.ensureEntitlements(accountId, desired, 'overwrite');
    if (changes.length > 0) throw new Error(`person ${i}: the read changed ${changes.length} memberships`);
  });
  return { find, read };
}

interface Measured {
  find: PerCall;
  read: PerCall;
}

/**
 * Both sizes of one target side by side: each round calls the small tenant and then the large one,
 * for people spread over each population, so a change in the machine's load hits both alike.
 */
async function measure(adapters: TargetAdapter[]): Promise<Measured[]> {
  const calls = adapters.map(() => ({ find: [] as PerCall[], read: [] as PerCall[] }));
  // Warm-up (discovery, connections, both processes' JIT), not part of any call's cost.
  for (let round = 0; round < 10; round++) {
    for (const [k, adapter] of adapters.entries()) await callsFor(adapter, round % SIZES[k]!);
  }
  for (let round = 0; round < CALLS; round++) {
    for (const [k, adapter] of adapters.entries()) {
      const people = SIZES[k]!;
      const { find, read } = await callsFor(adapter, Math.floor(((round + 0.5) * people) / CALLS) % people);
      calls[k]!.find.push(find);
      calls[k]!.read.push(read);
    }
  }
  const summary = (list: PerCall[]) => ({ requests: list.reduce((n, c) => n + c.requests, 0) / list.length, ms: median(list.map((c) => c.ms)) });
  return calls.map((c) => ({ find: summary(c.find), read: summary(c.read) }));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-membership-'));
  const results: Record<string, Measured[]> = {};
  try {
    const seedFiles = SIZES.map((people) => {
      const file = join(dir, `seed-${people}.json`);
      writeFileSync(file, JSON.stringify(seedFor(people)));
      return file;
    });
    for (const [name, start] of [['scim', startScim], ['highspot', startHighspot]] as const) {
      const started: Started[] = [];
      try {
        for (const file of seedFiles) started.push(await start(file));
        results[name] = await measure(started.map((s) => s.adapter));
      } finally {
        for (const { emulator } of started) await emulator.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `${CALLS} calls each, the two sizes alternating, median ms per call; every person in 2 of ${GROUPS.length} groups (at 10,000 people a group has 2,500 members); ` +
      `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  let worst = 0;
  for (const [name, [small, large]] of Object.entries(results) as [string, Measured[]][]) {
    for (const op of ['find', 'read'] as const) {
      const label = op === 'find' ? 'findAccount' : 'entitlement read (ensureEntitlements, nothing to change)';
      const ratio = large![op].ms / small![op].ms;
      worst = Math.max(worst, ratio, large![op].requests / small![op].requests);
      console.log(
        `${name} ${label}: ${SIZES[0]} people ${small![op].requests.toFixed(1)} requests, ${small![op].ms.toFixed(1)} ms; ` +
          `${SIZES[1]} people ${large![op].requests.toFixed(1)} requests, ${large![op].ms.toFixed(1)} ms; ratio ${ratio.toFixed(2)}`,
      );
    }
  }
  console.log(`worst ratio 10,000 / 10 people (ms or requests): ${worst.toFixed(2)} (goal ~1.0, here <= 1.5) ${worst <= 1.5 ? 'MET' : 'NOT MET'}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
