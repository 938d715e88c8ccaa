/**
 * HubSpot onboarding on the product's own path: N people (default 2,000) are added to a real slapd;
 * the real directory watcher sees them and starts a person workflow each; every joiner reads the
 * directory, plans HubSpot (its account read on the HubSpot task queue), provisions the account and
 * its role and teams through the HubSpot connector (@hubspot/api-client), and writes the audit log.
 * The HubSpot emulator runs in its own process at the professional tier's real limit (190 requests
 * per rolling 10 s) and counts requests and 429s itself. The HubSpot queue's rate limit is the one
 * `npm start` uses (config/demo.yaml), unless --activities-per-second says otherwise.
 *
 * Prints the achieved request rate as a share of the allowed rate (goal >= 90 %) and the share of
 * 429 responses (goal < 1 %), and the rate minute by minute. Figures are printed, never asserted.
 * 2,000 people take about 10 minutes here (every joiner costs 5 HubSpot requests, at 19 requests/s
 * allowed); --people 500 is a quicker look.
 *   node --import tsx bench/hubspot-bulk.ts [--people 2000] [--activities-per-second N] [--max-concurrent N] [--temporal host:port]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { WATCHER_WORKFLOW_ID, WORKFLOW_TYPES } from '../lib/names';
import { verifyAuditLog } from '../audit';
import { demoRateLimit } from './bench-config';
import { BENCH_ENV, TARGET, peopleLdif, startHubspotProcess, writeIdsyncConfig, type HubspotProcess, type HubspotState } from './hubspot-bulk-setup';

const execFileAsync = promisify(execFile);

function options() {
  const { values } = parseArgs({
    options: {
      people: { type: 'string', default: '2000' },
      'activities-per-second': { type: 'string' },
      'max-concurrent': { type: 'string' },
      /** A running Temporal server (e.g. one with other dynamic config) instead of a fresh dev server. */
      temporal: { type: 'string' },
    },
  });
  const people = Number(values.people);
  if (!Number.isInteger(people) || people < 1) throw new Error('--people must be a positive integer');
  const demo = demoRateLimit(TARGET);
  const rateLimit = {
    activitiesPerSecond: values['activities-per-second'] ? Number(values['activities-per-second']) : demo.activitiesPerSecond,
    maxConcurrent: values['max-concurrent'] ? Number(values['max-concurrent']) : demo.maxConcurrent,
  };
  if (!(rateLimit.activitiesPerSecond > 0) || !Number.isInteger(rateLimit.maxConcurrent) || rateLimit.maxConcurrent < 1) throw new Error('--activities-per-second and --max-concurrent must be positive');
  return { people, rateLimit, temporalAddress: values.temporal };
}

/** Person workflows whose last run converged, from Temporal's visibility (IdsyncOutcome). */
async function convergedPeople(client: Client): Promise<number> {
  return (await client.workflow.count(`WorkflowType = "${WORKFLOW_TYPES.personLifecycle}" AND IdsyncOutcome = "converged"`)).count;
}

async function waitForWatcherBaseline(client: Client): Promise<void> {
  for (;;) {
    const status = await client.workflow.getHandle(WATCHER_WORKFLOW_ID).query<{ lastPollAt: string | null }>('watcherStatus').catch(() => undefined);
    if (status?.lastPollAt) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const provisioned = (state: HubspotState) => state.users.filter((u) => u.roleId && u.primaryTeamId && u.secondaryTeamIds?.length === 1).length;

async function main(): Promise<void> {
  const opts = options();
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-hubspot-'));
  const password = randomBytes(12).toString('hex');
  const token = `pat-na1-${randomBytes(6).toString('hex')}`;
  let slapd: LocalSlapd | undefined;
  let temporal: TemporalDevServer | undefined;
  let hubspot: HubspotProcess | undefined;
  let connection: Connection | undefined;
  let native: NativeConnection | undefined;
  let workers: RunningWorkers | undefined;
  let watching: Watching | undefined;
  let runtime: ReturnType<typeof buildRuntime> | undefined;
  installQuietTemporalLogging({ IDSYNC_LOG_LEVEL: 'ERROR' });
  try {
    [slapd, temporal, hubspot] = await Promise.all([
      startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password }),
      opts.temporalAddress ? undefined : startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') }),
      startHubspotProcess(dir, token),
    ]);
    const temporalAddress = opts.temporalAddress ?? temporal!.address;
    const configPath = join(dir, 'idsync.json');
    writeIdsyncConfig(configPath, dir, slapd, temporalAddress, hubspot.url, opts.rateLimit);
    Object.assign(process.env, { [BENCH_ENV.ldapPassword]: password, [BENCH_ENV.hubspotToken]: token });
    const config = loadConfigFile(configPath);
    runtime = buildRuntime(config);
    connection = await Connection.connect({ address: temporalAddress });
    const client = new Client({ connection });
    native = await NativeConnection.connect({ address: temporalAddress });
    // Every role in this one process, as `npm start` runs them; the emulator is the other process.
    workers = await startWorkers(runtime, { connection: native, namespace: 'default', client });
    watching = await startWatching(config, client);
    await waitForWatcherBaseline(client);

    const limit = (await hubspot.state()).rateLimit;
    const allowedPerSecond = limit.max / (limit.intervalMs / 1000);
    console.log(
      `hubspot bench: ${opts.people} people added to slapd -> watcher -> person workflows -> planning, HubSpot connector, audit; ` +
        `emulator in its own process at ${limit.max} requests / ${limit.intervalMs / 1000} s; HubSpot queue ${opts.rateLimit.activitiesPerSecond} activities/s, ${opts.rateLimit.maxConcurrent} at a time`,
    );
    const before = (await hubspot.state()).stats;
    const ldif = join(dir, 'people.ldif');
    const passwordFile = join(dir, '.bindpw');
    writeFileSync(ldif, peopleLdif(opts.people));
    writeFileSync(passwordFile, password, { mode: 0o600 });
    const started = Date.now();
    await execFileAsync('ldapadd', ['-x', '-H', slapd.url, '-D', slapd.bindDn, '-y', passwordFile, '-f', ldif], { maxBuffer: 64 * 1024 * 1024 });
    const addedS = (Date.now() - started) / 1000;
    let converged = 0;
    let last = { at: Date.now(), requests: before.requests };
    while (converged < opts.people) {
      await new Promise((r) => setTimeout(r, 2000));
      converged = await convergedPeople(client);
      if (Date.now() - last.at > 60_000) {
        // Per minute, so the ramp-up (thousands of workflows starting) shows apart from the steady state.
        const now = { at: Date.now(), requests: (await hubspot.state()).stats.requests };
        const rate = (now.requests - last.requests) / ((now.at - last.at) / 1000);
        console.log(`  ${((now.at - started) / 1000).toFixed(0)} s: ${converged} of ${opts.people} converged; HubSpot ${rate.toFixed(1)} requests/s (${((rate / allowedPerSecond) * 100).toFixed(0)} %) over the last minute`);
        last = now;
      }
    }
    const elapsedS = (Date.now() - started) / 1000;
    const after = await hubspot.state();
    const requests = after.stats.requests - before.requests;
    const rateLimited = after.stats.rateLimited - before.rateLimited;
    const flowS = (after.stats.lastRequestAt - (before.firstRequestAt || after.stats.firstRequestAt)) / 1000;
    const audit = await verifyAuditLog(config.audit.path);
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    const flowRate = requests / flowS;

    console.log('');
    console.log(`people                 ${opts.people} added in ${addedS.toFixed(1)} s; converged ${converged}; fully provisioned in HubSpot ${provisioned(after)}`);
    console.log(`elapsed                ${elapsedS.toFixed(1)} s from the LDAP add to the last person converged`);
    console.log(`HubSpot requests       ${requests} (${(requests / opts.people).toFixed(2)} per person), first to last over ${flowS.toFixed(1)} s`);
    console.log(`allowed rate           ${allowedPerSecond.toFixed(2)} requests/s`);
    console.log(`achieved rate          ${flowRate.toFixed(2)} requests/s = ${pct(flowRate / allowedPerSecond)} of allowed while requests flow (goal >= 90 %); ${pct(requests / elapsedS / allowedPerSecond)} over the whole run`);
    console.log(`429 responses          ${rateLimited} = ${pct(requests ? rateLimited / requests : 0)} of requests (goal < 1 %)`);
    console.log(`other failures         5xx ${after.stats.serverErrors - before.serverErrors}, dropped ${after.stats.dropped - before.dropped}`);
    console.log(`audit log              ${audit.records} records, chain ${audit.ok ? 'intact' : `broken: ${audit.problem}`}`);
    if (provisioned(after) !== opts.people || !audit.ok) process.exitCode = 1;
  } finally {
    await watching?.stop().catch(() => undefined);
    await workers?.shutdown().catch(() => undefined);
    if (runtime) await closeRuntime(runtime).catch(() => undefined);
    await native?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await hubspot?.close().catch(() => undefined);
    await temporal?.stop().catch(() => undefined);
    await slapd?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`hubspot bench failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
