/**
 * Reconciliation of N accounts (default 10,000) in each of the four target kinds through the real
 * reconcileWorkflow, activities and adapters against the emulators over HTTP, with N people
 * bulk-loaded into a real slapd. The idsync worker runs alone in a child process (production's
 * startWorkers, fixed queue names) so its peak memory (VmHWM) is its own. Prints the time, each
 * target's page-read rate as a share of its queue's rate limit (goal >= 80 %) and the worker's peak
 * memory (goal < 200 MiB). Figures are printed, never asserted.
 *
 * Pages of one target are read one after another (one stream), so the share of the rate limit a run
 * reaches depends on Temporal's task-queue partitions: the server splits a queue's limit evenly over
 * them (4 by default) and a chain of single tasks then gets about half of it. The dev server this
 * bench starts has one partition per queue (scripts/local-services.ts), as docker-compose's server has
 * for the target queues (deploy/temporal-dynamicconfig.yaml); --temporal runs against another server.
 *   node --import tsx bench/reconcile.ts [--accounts 10000] [--rate 4] [--page 100] [--targets salesforce,hubspot,highspot,scim] [--temporal host:port]
 *     [--trace-memory]   (the worker prints its memory every 0.5 s on stderr)
 * Every emulator runs in a process of its own; the orchestration worker (workflow code) runs in this
 * one, the measured activity worker in another.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfigFile } from '../app/config';
import { buildRuntime, closeRuntime } from '../app/build-runtime';
import { installQuietTemporalLogging, startWorkers, type RunningWorkers } from '../workers/workers';
import { PROJECT_ROOT, startSlapd, startTemporalDevServer, stopChild, type LocalSlapd, type TemporalDevServer } from '../scripts/local-services';
import { TASK_QUEUES } from '../lib/names';
import { DEFAULT_CLIENTS } from '../emulators/salesforce';
import { DEFAULT_HUBSPOT_SEED } from '../emulators/hubspot';
import { spawnEmulator, type EmulatorProcess } from '../emulators/scim/process';
import { SCIM_TOKEN_ENV } from '../emulators/scim/seed';
import { HIGHSPOT_ENV } from '../emulators/highspot/seed';
import { HIGHSPOT_REST, HIGHSPOT_SCIM } from '../targets/highspot/assumed-contract';
import type { ReconcileSummary } from '../workflows/reconcile';
import { benchDirectory } from './bench-config';
import { pageTimings } from './reconcile-history';

const execFileAsync = promisify(execFile);
const SUFFIX = 'dc=example,dc=com';
const TARGETS = ['salesforce', 'hubspot', 'highspot', 'scim'] as const;

function options() {
  const { values } = parseArgs({
    options: { 'trace-memory': { type: 'boolean', default: false }, accounts: { type: 'string', default: '10000' }, rate: { type: 'string', default: '4' }, page: { type: 'string', default: '100' }, targets: { type: 'string', default: TARGETS.join(',') }, temporal: { type: 'string' } },
  });
  const targets = values.targets.split(',').filter((t): t is (typeof TARGETS)[number] => (TARGETS as readonly string[]).includes(t));
  return { accounts: Number(values.accounts), rate: Number(values.rate), page: Number(values.page), targets, temporalAddress: values.temporal, traceMemory: values['trace-memory'] };
}

const uid = (i: number) => `user${String(i).padStart(6, '0')}`;
const anchorOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
/** Every 10th account has not been used for a year; every 50th belongs to nobody in the directory. */
const stale = (i: number) => i % 10 === 0;
const orphan = (i: number) => i % 50 === 0;
const login = (i: number) => (orphan(i) ? `ghost${String(i).padStart(6, '0')}` : uid(i));
const lastActivity = (i: number) => new Date(Date.now() - (stale(i) ? 400 : 3) * 86_400_000).toISOString();

function ldif(count: number): string {
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    out.push(
      `dn: uid=${uid(i)},ou=people,${SUFFIX}\nobjectClass: inetOrgPerson\nuid: ${uid(i)}\ncn: User ${i}\ngivenName: User\nsn: N${i}\n` +
        `mail: ${uid(i)}@example.com\nentryUUID: ${anchorOf(i)}\ndepartmentNumber: Sales\n`,
    );
  }
  return out.join('\n');
}

function scimUsers(count: number, group: string, withActivity: boolean) {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    return {
      userName: `${login(i)}@example.com`,
      ...(orphan(i) ? {} : { externalId: anchorOf(i) }),
      givenName: 'User',
      familyName: `N${i}`,
      email: `${login(i)}@example.com`,
      groups: [group],
      ...(withActivity ? { lastActivityAt: lastActivity(i) } : {}),
    };
  });
}

function policy() {
  const everyone = (prefix: string, grant: { kind: string; name: string }) => ({ scope: [{ id: `${prefix}-everyone` }], birthright: { id: `${prefix}-birthright`, grant } });
  return {
    targets: {
      salesforce: { ...everyone('sf', { kind: 'profile', name: 'Standard User' }), account: { username: '{username}@corp.example.com' } },
      hubspot: everyone('hs', { kind: 'role', name: 'Sales Rep' }),
      highspot: everyone('hp', { kind: 'group', name: 'All Employees' }),
      scim: everyone('sc', { kind: 'group', name: 'Agents' }),
    },
  };
}

interface ListeningEmulator {
  url: string;
  close(): Promise<void>;
}

/** A Salesforce or HubSpot emulator main in a process of its own; both print "... listening on <url>". */
async function spawnListening(main: string, args: string[], env: NodeJS.ProcessEnv): Promise<ListeningEmulator> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, main), ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${main} did not start in time: ${output}`)), 300_000);
    child.once('exit', (code) => reject(new Error(`${main} exited with ${code} during start-up: ${output}`)));
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
        const found = /listening on (http:\/\/\S+)/.exec(output)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    }
  });
  return { url, close: () => stopChild(child, 10_000) };
}

/**
 * Every emulator runs in a process of its own: their CPU is neither the measured worker's nor the
 * orchestration worker's, which runs in this process and schedules every page.
 */
async function startEmulators(count: number, dir: string, secrets: Record<string, string>) {
  const salesforceUsers = Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    return {
      Username: `${login(i)}@corp.example.com`,
      FirstName: 'User',
      LastName: `N${i}`,
      Email: `${login(i)}@example.com`,
      profile: 'Standard User',
      ...(orphan(i) ? {} : { FederationIdentifier: anchorOf(i) }),
      LastLoginDate: lastActivity(i).replace('Z', '+0000'),
    };
  });
  const hubspotUsers = Array.from({ length: count }, (_, k) => ({ email: `${login(k + 1)}@example.com`, firstName: 'User', lastName: `N${k + 1}`, role: 'Sales Rep' }));
  writeFileSync(
    join(dir, 'salesforce-seed.json'),
    // An explicit org id: main.ts validates the seed twice, and the schema's default id (17 characters) fails the second time.
    JSON.stringify({ orgId: '00D5e000000EmuEAAA', userLicenses: { Salesforce: count + 10 }, profiles: [{ name: 'Standard User', license: 'Salesforce' }], users: salesforceUsers }),
  );
  writeFileSync(join(dir, 'hubspot-seed.json'), JSON.stringify({ ...DEFAULT_HUBSPOT_SEED, users: hubspotUsers }));
  writeFileSync(join(dir, 'scim-seed.json'), JSON.stringify({ groups: ['Agents'], users: scimUsers(count, 'Agents', false) }));
  writeFileSync(join(dir, 'highspot-seed.json'), JSON.stringify({ groups: ['All Employees'], users: scimUsers(count, 'All Employees', true) }));
  const started = await Promise.allSettled([
    // Batches of 200, the adapter's pageSize. The default daily API limit (100,000) is far above a run's calls.
    spawnListening('emulators/salesforce/main.ts', ['--port', '0', '--seed', join(dir, 'salesforce-seed.json'), '--query-batch-size', '200'], {}),
    spawnListening('emulators/hubspot/main.ts', ['--port', '0', '--seed', join(dir, 'hubspot-seed.json'), '--tier', 'professional', '--token-env', 'BENCH_HUBSPOT_EMULATOR_TOKENS'], {
      BENCH_HUBSPOT_EMULATOR_TOKENS: secrets.HUBSPOT,
    }),
    spawnEmulator(join(PROJECT_ROOT, 'emulators/scim/main.ts'), ['--port', '0', '--seed', join(dir, 'scim-seed.json')], { [SCIM_TOKEN_ENV]: secrets.SCIM }, 120_000),
    spawnEmulator(join(PROJECT_ROOT, 'emulators/highspot/main.ts'), ['--port', '0', '--seed', join(dir, 'highspot-seed.json')], {
      [HIGHSPOT_ENV.scimToken]: secrets.HIGHSPOT,
      [HIGHSPOT_ENV.apiKey]: secrets.HIGHSPOT_KEY,
      [HIGHSPOT_ENV.apiSecret]: secrets.HIGHSPOT_SECRET,
    }, 120_000),
  ] as const);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    // The ones that did start would keep this process alive.
    await Promise.allSettled(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    throw failed.reason;
  }
  const [salesforce, hubspot, scim, highspot] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [ListeningEmulator, ListeningEmulator, EmulatorProcess, EmulatorProcess];
  return { salesforce, hubspot, scim, highspot };
}

function idsyncConfig(slapd: LocalSlapd, temporal: string, dir: string, emulators: { salesforce: ListeningEmulator; hubspot: ListeningEmulator; scim: EmulatorProcess; highspot: EmulatorProcess }, rate: number, page: number) {
  const rateLimit = { activitiesPerSecond: rate, maxConcurrent: 2 };
  return {
    temporal: { address: temporal },
    directory: benchDirectory(slapd, { people: `ou=people,${SUFFIX}` }),
    audit: { path: join(dir, 'audit.log') },
    targets: {
      salesforce: { kind: 'salesforce', loginUrl: emulators.salesforce.url, auth: { flow: 'client_credentials', clientId: DEFAULT_CLIENTS[0]!.clientId, clientSecretEnv: 'BENCH_SF_SECRET' }, pageSize: 200, rateLimit },
      hubspot: { kind: 'hubspot', basePath: emulators.hubspot.url, accessTokenEnv: 'BENCH_HUBSPOT_TOKEN', suspendRoleName: 'No Access', rateLimit },
      highspot: {
        kind: 'highspot',
        baseUrl: `${emulators.highspot.origin}${HIGHSPOT_SCIM.basePath}`,
        tokenEnv: 'BENCH_HIGHSPOT_TOKEN',
        restBaseUrl: `${emulators.highspot.origin}${HIGHSPOT_REST.versionPrefix}`,
        apiKeyEnv: 'BENCH_HIGHSPOT_KEY',
        apiSecretEnv: 'BENCH_HIGHSPOT_SECRET',
        rateLimit,
      },
      scim: { kind: 'scim', baseUrl: `${emulators.scim.origin}/scim/v2`, tokenEnv: 'BENCH_SCIM_TOKEN', rateLimit },
    },
    policy: policy(),
    reconcile: { pageSize: page, schedule: { enabled: false } },
  };
}

/** Peak resident memory of a process (Linux VmHWM), in MiB. */
function peakMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
}

/**
 * As docker-compose.yml's idsync-worker runs: V8 sized for memory rather than speed, with a 2 MiB
 * young generation (without them the heap grows by the run's short-lived garbage, parsed pages and
 * rows, long before a full collection; a 10,000-account run peaked at 203 MiB without the semi-space
 * limit, 188 MiB with it, at the same CPU),
 * and glibc's malloc held to two arenas (otherwise each of the process's threads, V8's, libuv's and
 * the Temporal core's, may get one of its own, each keeping freed memory).
 */
const WORKER_NODE_FLAGS = ['--optimize-for-size', '--max-semi-space-size=2'];
const WORKER_ENV = { MALLOC_ARENA_MAX: '2' };

/** CPU time a process has used so far (user + system), in seconds; Linux clock ticks are 1/100 s. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startWorker(configPath: string, temporal: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', join(PROJECT_ROOT, 'bench/reconcile-worker.ts'), configPath, temporal], { env: { ...env, ...WORKER_ENV }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  return child;
}

async function main(): Promise<void> {
  const opts = options();
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-reconcile-'));
  const password = randomBytes(12).toString('hex');
  const secrets = { HUBSPOT: `pat-na1-${randomBytes(6).toString('hex')}`, SCIM: randomBytes(8).toString('hex'), HIGHSPOT: randomBytes(8).toString('hex'), HIGHSPOT_KEY: 'bench-key', HIGHSPOT_SECRET: randomBytes(8).toString('hex') };
  let slapd: LocalSlapd | undefined;
  let temporal: TemporalDevServer | undefined;
  let emulators: Awaited<ReturnType<typeof startEmulators>> | undefined;
  let worker: ChildProcess | undefined;
  let connection: Connection | undefined;
  let orchestration: { workers: RunningWorkers; connection: NativeConnection; runtime: ReturnType<typeof buildRuntime> } | undefined;
  installQuietTemporalLogging({ IDSYNC_LOG_LEVEL: 'ERROR' });
  try {
    slapd = await startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password });
    await slapd.stop();
    writeFileSync(join(dir, 'people.ldif'), ldif(opts.accounts));
    await execFileAsync('/usr/sbin/slapadd', ['-q', '-n1', '-F', join(dir, 'ldap', 'slapd.d'), '-l', join(dir, 'people.ldif')]);
    slapd = await startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password });
    // --temporal: a running server, e.g. one started with a single task-queue partition to compare.
    if (!opts.temporalAddress) temporal = await startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') });
    const temporalAddress = opts.temporalAddress ?? temporal!.address;
    const seeding = Date.now();
    emulators = await startEmulators(opts.accounts, dir, secrets);
    console.log(`reconcile bench: ${opts.accounts} people in slapd, ${opts.accounts} accounts in each of ${TARGETS.join(', ')} (seeded in ${((Date.now() - seeding) / 1000).toFixed(1)} s)`);
    const configPath = join(dir, 'idsync.json');
    writeFileSync(configPath, JSON.stringify(idsyncConfig(slapd, temporalAddress, dir, emulators, opts.rate, opts.page)));
    worker = await startWorker(configPath, temporalAddress, {
      ...process.env,
      BENCH_LDAP_PASSWORD: password,
      BENCH_SF_SECRET: DEFAULT_CLIENTS[0]!.clientSecret,
      BENCH_HUBSPOT_TOKEN: secrets.HUBSPOT,
      BENCH_SCIM_TOKEN: secrets.SCIM,
      BENCH_HIGHSPOT_TOKEN: secrets.HIGHSPOT,
      BENCH_HIGHSPOT_KEY: secrets.HIGHSPOT_KEY,
      BENCH_HIGHSPOT_SECRET: secrets.HIGHSPOT_SECRET,
      ...(opts.traceMemory ? { BENCH_TRACE_MEMORY: '1' } : {}),
    });
    const idleMiB = peakMiB(worker.pid!);
    const idleCpuS = cpuSeconds(worker.pid!);
    connection = await Connection.connect({ address: temporalAddress });
    const client = new Client({ connection });
    process.env.BENCH_LDAP_PASSWORD = password;
    Object.assign(process.env, { BENCH_SF_SECRET: 'unused', BENCH_HUBSPOT_TOKEN: 'unused', BENCH_SCIM_TOKEN: 'unused', BENCH_HIGHSPOT_TOKEN: 'unused', BENCH_HIGHSPOT_KEY: 'unused', BENCH_HIGHSPOT_SECRET: 'unused' });
    const orchestrationRuntime = buildRuntime(loadConfigFile(configPath));
    const native = await NativeConnection.connect({ address: temporalAddress });
    orchestration = { runtime: orchestrationRuntime, connection: native, workers: await startWorkers(orchestrationRuntime, { connection: native, namespace: 'default', client, roles: ['orchestration'] }) };
    const workflowId = `bench-reconcile-${process.pid}`;
    const started = Date.now();
    const summary = (await client.workflow.execute('reconcileWorkflow', { workflowId, taskQueue: TASK_QUEUES.orchestration, args: [{ apply: false, trigger: 'bench', targets: opts.targets }] })) as ReconcileSummary;
    const elapsedS = (Date.now() - started) / 1000;
    const peak = peakMiB(worker.pid!);
    const workerCpuS = cpuSeconds(worker.pid!) - idleCpuS;
    const timings = await pageTimings(client, workflowId);

    console.log('');
    console.log(`elapsed                ${elapsedS.toFixed(1)} s for ${Object.values(summary.targets).reduce((n, t) => n + t.accounts, 0)} accounts (report only), ${summary.people} people`);
    console.log(`queue rate limit       ${opts.rate} page activities/s per target, ${opts.page} accounts per page = ${opts.rate * opts.page} accounts/s allowed`);
    for (const target of opts.targets) {
      const t = timings[target];
      const accounts = summary.targets[target]?.accounts ?? 0;
      if (!t) {
        console.log(`${target.padEnd(22)} no page activities found`);
        continue;
      }
      const rate = t.pages / t.seconds;
      console.log(
        `${target.padEnd(22)} ${accounts} accounts in ${t.pages} pages over ${t.seconds.toFixed(1)} s: ${rate.toFixed(2)} pages/s = ${((rate / opts.rate) * 100).toFixed(1)} % of the allowed read rate (goal >= 80 %); ` +
          `page activity p50 ${t.p50Ms} ms, max ${t.maxMs} ms; situations ${JSON.stringify(summary.targets[target]?.situations ?? {})}`,
      );
    }
    console.log(`worker peak memory     ${peak.toFixed(0)} MiB (VmHWM; ${idleMiB.toFixed(0)} MiB before the run; goal < 200 MiB)`);
    console.log(`worker CPU             ${workerCpuS.toFixed(1)} s during the run (the emulators run in other processes)`);
    console.log(`report                 ${summary.reportJson}`);
  } finally {
    if (worker) await stopChild(worker, 10_000).catch(() => undefined);
    if (orchestration) {
      await orchestration.workers.shutdown();
      await closeRuntime(orchestration.runtime);
      await orchestration.connection.close();
    }
    await connection?.close().catch(() => undefined);
    if (emulators) await Promise.allSettled([emulators.salesforce.close(), emulators.hubspot.close(), emulators.scim.close(), emulators.highspot.close()]);
    await temporal?.stop();
    await slapd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`reconcile bench failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
