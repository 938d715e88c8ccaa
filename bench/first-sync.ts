/**
 * A first sync on the product's own path: N people (default 2,000) are already in slapd when idsync
 * starts with `baseline: joiners`; the real watcher's first poll starts a person workflow for each,
 * and every joiner reads the directory, plans and provisions Salesforce (jsforce), HubSpot
 * (@hubspot/api-client) and Highspot (SCIM), and writes the audit log. The three emulators run in
 * processes of their own (HubSpot at the professional tier's real limit, 190 requests per rolling
 * 10 s); each target's task queue has the demo configuration's budget (config/demo.yaml).
 *
 * Prints the total time, people/s, each target's activities and requests against its allowed rate,
 * the share of 429s, which target bounds the run (the one whose budget needs the longest for its
 * activities) and the share of that bound achieved (goal >= 80 %), with Entra ID's documented
 * initial-cycle time per object for context. Figures are printed, not asserted.
 *   node --import tsx bench/first-sync.ts [--people 2000]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfigFile } from '../app/config';
import { buildRuntime, closeRuntime } from '../app/build-runtime';
import { installQuietTemporalLogging, startWorkers, type RunningWorkers } from '../workers/workers';
import { startWatching, type Watching } from '../starters/watch';
import { startSlapd, startTemporalDevServer, type LocalSlapd, type TemporalDevServer } from '../scripts/local-services';
import { WORKFLOW_TYPES } from '../lib/names';
import { verifyAuditLog } from '../audit';
import { startHubspotProcess, type HubspotProcess } from './hubspot-bulk-setup';
import { startHighspotProcess, startSalesforceProcess, type EmulatorHandle } from './emulator-processes';
import { directoryLdif, people } from './directory-latency-setup';
import { BENCH_ENV, HIGHSPOT_SEED, SALESFORCE_CLIENT_ID, TARGETS, salesforceSeed, writeIdsyncConfig } from './first-sync-setup';
import { TargetTraffic, type TargetCounts } from './target-traffic';
import { activityTimes, meanRunningByQueue, printActivityTimes } from './activity-times';
import { pollDurations } from './latency-stages';
import { TASK_QUEUES, WATCHER_WORKFLOW_ID } from '../lib/names';

/** Joiner runs whose histories show where the activities' time went. */
const SAMPLED_RUNS = 100;

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Entra ID's documented initial-cycle time per object (minutes), for context. */
const ENTRA_MINUTES_PER_OBJECT = [0.01, 0.08] as const;
/** No one converged for this long: report what happened instead of waiting for ever. */
const STALL_MS = 5 * 60_000;

function options() {
  const { values } = parseArgs({ options: { people: { type: 'string', default: '2000' } } });
  const count = Number(values.people);
  if (!Number.isInteger(count) || count < 1) throw new Error('--people must be a positive integer');
  return { people: count };
}

async function count(client: Client, outcome: string): Promise<number> {
  return (await client.workflow.count(`WorkflowType = "${WORKFLOW_TYPES.personLifecycle}" AND IdsyncOutcome = "${outcome}"`)).count;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

interface TargetRow {
  target: string;
  counts: TargetCounts;
  budget: number;
  /** Seconds the target's budget needs for its activities. */
  needs: number;
}

function report(rows: TargetRow[], opts: { people: number; converged: number; elapsedS: number; cpuS: number; hubspotAllowed: number }): void {
  const { people: n, converged, elapsedS } = opts;
  console.log('');
  console.log(`people               ${n} in the directory; ${converged} converged in all three targets`);
  console.log(`total time           ${elapsedS.toFixed(1)} s from the watcher's start to the last person converged = ${(converged / elapsedS).toFixed(2)} people/s`);
  console.log(`idsync CPU           ${opts.cpuS.toFixed(0)} s in this process (workers + watcher) = ${(opts.cpuS / elapsedS).toFixed(2)} cores on average; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('');
  console.log(`target      activities  per person  rate/s  budget/s  share of budget  requests  429s`);
  for (const r of rows) {
    const rate = r.counts.activities / elapsedS;
    console.log(
      `${r.target.padEnd(11)} ${String(r.counts.activities).padStart(10)}  ${(r.counts.activities / n).toFixed(2).padStart(10)}  ${rate.toFixed(2).padStart(6)}  ${r.budget.toFixed(1).padStart(8)}  ${pct(rate / r.budget).padStart(15)}  ${String(r.counts.requests).padStart(8)}  ${r.counts.rateLimited} (${pct(r.counts.requests ? r.counts.rateLimited / r.counts.requests : 0)})`,
    );
  }
  const hubspot = rows.find((r) => r.target === 'hubspot');
  if (hubspot) console.log(`HubSpot requests     ${(hubspot.counts.requests / elapsedS).toFixed(2)}/s of ${opts.hubspotAllowed.toFixed(2)}/s allowed by the portal = ${pct(hubspot.counts.requests / elapsedS / opts.hubspotAllowed)}`);
  const bound = rows.reduce((a, b) => (b.needs > a.needs ? b : a));
  console.log(`bounding target      ${bound.target}: its budget needs ${bound.needs.toFixed(0)} s for its ${bound.counts.activities} activities; the run took ${elapsedS.toFixed(0)} s = ${pct(bound.needs / elapsedS)} of its rate (goal >= 80 %)`);
  const minutes = elapsedS / 60 / n;
  console.log(
    `per object           ${minutes.toFixed(4)} min into three targets; Entra ID documents ${ENTRA_MINUTES_PER_OBJECT.join('-')} min per object for an initial cycle ` +
      `(${ENTRA_MINUTES_PER_OBJECT.map((m) => ((m * n) / 60).toFixed(1)).join('-')} h for ${n})`,
  );
}

async function main(): Promise<void> {
  const opts = options();
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-first-sync-'));
  const secret = (bytes: number) => randomBytes(bytes).toString('hex');
  const password = secret(12);
  const credentials = { salesforce: secret(16), hubspot: `pat-na1-${secret(6)}`, highspot: { scimToken: secret(16), apiKey: secret(8), apiSecret: secret(16) } };
  let slapd: LocalSlapd | undefined;
  let temporal: TemporalDevServer | undefined;
  let emulators: { salesforce: EmulatorHandle; hubspot: HubspotProcess; highspot: Awaited<ReturnType<typeof startHighspotProcess>> } | undefined;
  let connection: Connection | undefined;
  let native: NativeConnection | undefined;
  let workers: RunningWorkers | undefined;
  let watching: Watching | undefined;
  let runtime: ReturnType<typeof buildRuntime> | undefined;
  installQuietTemporalLogging({ IDSYNC_LOG_LEVEL: 'ERROR' });
  try {
    [slapd, temporal] = await Promise.all([startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password }), startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') })]);
    const ldif = join(dir, 'directory.ldif');
    const passwordFile = join(dir, '.bindpw');
    writeFileSync(ldif, directoryLdif(people(opts.people)));
    writeFileSync(passwordFile, password, { mode: 0o600 });
    await execFileAsync('ldapadd', ['-x', '-H', slapd.url, '-D', slapd.bindDn, '-y', passwordFile, '-f', ldif], { maxBuffer: 64 * 1024 * 1024 });
    const [salesforce, hubspot, highspot] = await Promise.all([
      startSalesforceProcess(dir, salesforceSeed(opts.people), { id: SALESFORCE_CLIENT_ID, secret: credentials.salesforce }),
      startHubspotProcess(dir, credentials.hubspot),
      startHighspotProcess(dir, HIGHSPOT_SEED, credentials.highspot),
    ]);
    emulators = { salesforce, hubspot, highspot };

    const configPath = join(dir, 'idsync.json');
    writeIdsyncConfig(configPath, dir, slapd, temporal.address, { salesforce: salesforce.url, hubspot: hubspot.url, highspotScim: highspot.scimUrl, highspotRest: highspot.restUrl });
    Object.assign(process.env, {
      [BENCH_ENV.ldapPassword]: password,
      [BENCH_ENV.salesforceSecret]: credentials.salesforce,
      [BENCH_ENV.hubspotToken]: credentials.hubspot,
      [BENCH_ENV.highspotScimToken]: credentials.highspot.scimToken,
      [BENCH_ENV.highspotApiKey]: credentials.highspot.apiKey,
      [BENCH_ENV.highspotApiSecret]: credentials.highspot.apiSecret,
    });
    const config = loadConfigFile(configPath);
    runtime = buildRuntime(config);
    const traffic = new TargetTraffic();
    traffic.addTarget('salesforce', salesforce.url);
    traffic.addTarget('hubspot', hubspot.url);
    traffic.addTarget('highspot', highspot.url);
    traffic.install(runtime);
    connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    native = await NativeConnection.connect({ address: temporal.address });
    workers = await startWorkers(runtime, { connection: native, namespace: 'default', client });
    const limit = (await hubspot.state()).rateLimit;
    const hubspotAllowed = limit.max / (limit.intervalMs / 1000);
    const budgets = Object.fromEntries(TARGETS.map((t) => [t, config.targets[t]!.rateLimit.activitiesPerSecond]));
    console.log(
      `first sync bench: ${opts.people} people in slapd -> watcher baseline (joiners) -> person workflows -> planning, connectors, audit; ` +
        `emulators in their own processes (HubSpot ${limit.max} requests / ${limit.intervalMs / 1000} s); budgets ${TARGETS.map((t) => `${t} ${budgets[t]}/s`).join(', ')}`,
    );

    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    watching = await startWatching(config, client);
    let converged = 0;
    let progressAt = Date.now();
    let last = { at: started, activities: TARGETS.map(() => 0) };
    while (converged < opts.people && Date.now() - progressAt < STALL_MS) {
      await sleep(2000);
      const now = await count(client, 'converged');
      if (now > converged) progressAt = Date.now();
      converged = now;
      if (Date.now() - last.at >= 60_000) {
        const activities = TARGETS.map((t) => traffic.counts.get(t)!.activities);
        const s = (Date.now() - last.at) / 1000;
        const rates = TARGETS.map((t, i) => `${t} ${pct((activities[i]! - last.activities[i]!) / s / budgets[t]!)}`).join(', ');
        console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${converged} of ${opts.people} converged; share of budget over the last minute: ${rates}`);
        last = { at: Date.now(), activities };
      }
    }
    const elapsedS = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const rows = TARGETS.map((target) => {
      const counts = traffic.counts.get(target)!;
      return { target, counts, budget: budgets[target]!, needs: counts.activities / budgets[target]! };
    });
    report(rows, { people: opts.people, converged, elapsedS, cpuS: (cpu.user + cpu.system) / 1e6, hubspotAllowed });
    const [baselinePoll] = await pollDurations(client, WATCHER_WORKFLOW_ID, started, Date.now());
    console.log(`watcher baseline     first poll (scan of everyone, ${opts.people} joiners delivered) took ${((baselinePoll ?? NaN) / 1000).toFixed(1)} s`);
    const timings = await activityTimes(client, 'joinerWorkflow', SAMPLED_RUNS);
    // Slots busy: with every slot of a queue busy the budget cannot be reached, however idle the CPU.
    const running = meanRunningByQueue(timings);
    for (const r of rows) {
      const meanMs = running.get(TASK_QUEUES.target(r.target)) ?? NaN;
      const slots = config.targets[r.target]!.rateLimit.maxConcurrent;
      // An estimate: the sampled runs are the latest, and a SCIM group write grows with the group, so it can exceed 100 %.
      console.log(`${r.target.padEnd(11)}          ${slots} slots ~${pct((r.counts.activities * meanMs) / 1000 / (elapsedS * slots))} busy (mean activity ${meanMs.toFixed(0)} ms in the sampled, latest runs)`);
    }
    printActivityTimes(timings, Math.min(SAMPLED_RUNS, converged));
    const [partial, failed] = [await count(client, 'partial'), await count(client, 'failed')];
    const audit = await verifyAuditLog(config.audit.path);
    console.log(`other outcomes       partial ${partial}, failed ${failed}; audit log ${audit.records} records, chain ${audit.ok ? 'intact' : `broken: ${audit.problem}`}`);
    if (converged !== opts.people || !audit.ok) process.exitCode = 1;
  } finally {
    await watching?.stop().catch(() => undefined);
    await workers?.shutdown().catch(() => undefined);
    if (runtime) await closeRuntime(runtime).catch(() => undefined);
    await native?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await Promise.allSettled(Object.values(emulators ?? {}).map((e) => e.close()));
    await temporal?.stop().catch(() => undefined);
    await slapd?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`first sync bench failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
