/**
 * Bulk onboarding into the HubSpot emulator at HubSpot's real limit (professional: 190 requests per
 * rolling 10 s), through real Temporal activities on the target's task queue polled by several
 * Worker instances. The queue's server-side rate limit comes from the target's rateLimit config:
 *   activitiesPerSecond = allowed requests/s x headroom / requests per activity
 * so the limit holds however many workers poll, and the emulator (not the client) counts requests
 * and 429s. Temporal splits that limit evenly over the queue's partitions (4 by default); runs with
 * one partition (--temporal pointing at a server started with matching.numTaskqueue*Partitions=1)
 * measured the same within noise. Run it on an otherwise idle machine: CPU contention delays
 * activities unevenly, and the clustered requests that follow overshoot the rolling window.
 *
 *   node --import tsx bench/hubspot-bulk.ts [--people 2000] [--workers 2] [--headroom 0.95] [--batch 100] [--temporal host:port]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { startTemporalDevServer, type TemporalDevServer } from '../scripts/local-services';
import { TASK_QUEUES } from '../lib/names';
import { startHubspotEmulator, DEFAULT_HUBSPOT_SEED, type HubspotEmulator } from '../emulators/hubspot';
import { hubspotTarget } from '../targets/hubspot';
import type { TargetAdapter } from '../targets/adapter';
import type { DesiredAccount } from '../domain/account';
import { createBulkActivities, REQUESTS_PER_ACTIVITY, type BulkActivities } from './hubspot-bulk-activities';
import { hubspotBulkOnboardWorkflow } from './hubspot-bulk-workflow';

const TARGET = 'hubspot';
const TOKEN_ENV = 'HUBSPOT_BENCH_TOKEN';
const ROLES = ['Sales Rep', 'Sales Manager', 'Marketing Contributor', 'Marketing Admin'];
const TEAMS = ['EMEA', 'AMER', 'APAC', 'Marketing', 'Sales Leadership'];

function options() {
  const { values } = parseArgs({
    options: {
      people: { type: 'string', default: '2000' },
      workers: { type: 'string', default: '2' },
      headroom: { type: 'string', default: '0.95' },
      batch: { type: 'string', default: '100' },
      /** Use a running Temporal server (e.g. one with other dynamic config) instead of starting a dev server. */
      temporal: { type: 'string' },
    },
  });
  const people = Number(values.people);
  const workers = Number(values.workers);
  const headroom = Number(values.headroom);
  const batch = Number(values.batch);
  if (!Number.isInteger(people) || people < 1) throw new Error('--people must be a positive integer');
  if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a positive integer');
  if (!(headroom > 0 && headroom <= 1)) throw new Error('--headroom must be in (0, 1]');
  if (!Number.isInteger(batch) || batch < 1) throw new Error('--batch must be a positive integer');
  return { people, workers, headroom, batch, temporalAddress: values.temporal };
}

function person(i: number): DesiredAccount {
  const id = String(i).padStart(5, '0');
  return {
    anchor: `bench-${id}`,
    username: `bench.user${id}@example.com`,
    email: `bench.user${id}@example.com`,
    givenName: 'Bench',
    familyName: `User ${id}`,
    attributes: {},
    active: true,
    entitlements: [
      { kind: 'role', name: ROLES[i % ROLES.length]! },
      { kind: 'primaryTeam', name: TEAMS[i % TEAMS.length]! },
      { kind: 'secondaryTeam', name: TEAMS[(i + 2) % TEAMS.length]! },
    ],
  };
}

async function main(): Promise<void> {
  const opts = options();
  const scratch = mkdtempSync(join(tmpdir(), 'idsync-hubspot-bench-'));
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } } });
  let temporal: TemporalDevServer | undefined;
  let emulator: HubspotEmulator | undefined;
  const workers: Worker[] = [];
  const connections: NativeConnection[] = [];
  let client: Connection | undefined;
  let adapter: TargetAdapter | undefined;
  let running: Promise<unknown> | undefined;
  try {
    const token = 'pat-na1-bench';
    [temporal, emulator] = await Promise.all([
      opts.temporalAddress ? undefined : startTemporalDevServer({ headless: true, logFile: join(scratch, 'temporal.log') }),
      startHubspotEmulator({ tier: 'professional', tokens: [token], seed: { ...DEFAULT_HUBSPOT_SEED, users: [] } }),
    ]);
    const temporalAddress = opts.temporalAddress ?? temporal!.address;
    const allowedPerSecond = emulator.limiter.max / (emulator.limiter.intervalMs / 1000);
    const config = hubspotTarget.configSchema.parse({
      kind: 'hubspot',
      basePath: emulator.url,
      accessTokenEnv: TOKEN_ENV,
      suspendRoleName: 'No Access',
      rateLimit: {
        activitiesPerSecond: (allowedPerSecond * opts.headroom) / REQUESTS_PER_ACTIVITY,
        maxConcurrent: 8,
      },
    });
    adapter = hubspotTarget.createAdapter(TARGET, config, { [TOKEN_ENV]: token });
    const activities = createBulkActivities(new Map([[TARGET, adapter]]));

    const orchestrationQueue = `bench-hubspot-orchestration-${process.pid}`;
    const workflowConnection = await NativeConnection.connect({ address: temporalAddress });
    connections.push(workflowConnection);
    workers.push(await Worker.create({ connection: workflowConnection, taskQueue: orchestrationQueue, workflowsPath: require.resolve('./hubspot-bulk-workflow') }));
    const perWorker = Array.from({ length: opts.workers }, () => 0);
    for (let i = 0; i < opts.workers; i += 1) {
      const connection = await NativeConnection.connect({ address: temporalAddress });
      connections.push(connection);
      workers.push(
        await Worker.create({
          connection,
          identity: `hubspot-bench-worker-${i + 1}`,
          taskQueue: TASK_QUEUES.target(TARGET),
          activities: countingActivities(activities, () => (perWorker[i]! += 1)),
          maxTaskQueueActivitiesPerSecond: config.rateLimit.activitiesPerSecond,
          maxConcurrentActivityTaskExecutions: config.rateLimit.maxConcurrent,
        }),
      );
    }
    running = Promise.all(workers.map((w) => w.run()));

    client = await Connection.connect({ address: temporalAddress });
    const temporalClient = new Client({ connection: client });
    const people = Array.from({ length: opts.people }, (_, i) => person(i));
    const batches: DesiredAccount[][] = [];
    for (let i = 0; i < people.length; i += opts.batch) batches.push(people.slice(i, i + opts.batch));

    console.log(
      `hubspot bench: ${opts.people} people, ${opts.workers} activity workers, limit ${emulator.limiter.max} req / ${emulator.limiter.intervalMs} ms ` +
        `-> queue rate ${config.rateLimit.activitiesPerSecond.toFixed(3)} activities/s (${REQUESTS_PER_ACTIVITY} req each, headroom ${opts.headroom})`,
    );
    emulator.resetStats();
    const sampler = startWindowSampler(emulator.limiter);
    const started = Date.now();
    const handles = await Promise.all(
      batches.map((batch, i) =>
        temporalClient.workflow.start(hubspotBulkOnboardWorkflow, {
          taskQueue: orchestrationQueue,
          workflowId: `bench-hubspot-${process.pid}-${i}`,
          args: [{ target: TARGET, people: batch }],
        }),
      ),
    );
    const results = await Promise.all(handles.map((h) => h.result()));
    const elapsedMs = Date.now() - started;
    const peakWindow = sampler.stop();

    const stats = emulator.stats;
    const created = results.reduce((n, r) => n + r.created, 0);
    const provisioned = people.filter((p) => {
      const user = emulator!.store.findByEmail(p.email);
      return !!user?.roleId && !!user.primaryTeamId && user.secondaryTeamIds.length === 1;
    }).length;
    const elapsedS = elapsedMs / 1000;
    const rate = stats.requests / elapsedS;
    const successRate = (stats.requests - stats.rateLimited) / elapsedS;
    const activeS = (stats.lastRequestAt - stats.firstRequestAt) / 1000;
    const activeRate = stats.requests / activeS;
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.log('');
    console.log(`people                 ${opts.people} (created ${created}, fully provisioned ${provisioned})`);
    console.log(`elapsed                ${elapsedS.toFixed(1)} s`);
    console.log(`requests sent          ${stats.requests}`);
    console.log(`allowed rate           ${allowedPerSecond.toFixed(2)} req/s`);
    console.log(`achieved rate          ${rate.toFixed(2)} req/s = ${pct(rate / allowedPerSecond)} of allowed (goal >= 90 %); answered without 429: ${pct(successRate / allowedPerSecond)}`);
    console.log(`  while requests flow  ${activeRate.toFixed(2)} req/s = ${pct(activeRate / allowedPerSecond)} of allowed over ${activeS.toFixed(1)} s (first to last request; excludes worker warm-up)`);
    console.log(`429 responses          ${stats.rateLimited} = ${pct(stats.requests ? stats.rateLimited / stats.requests : 0)} of requests (goal < 1 %)`);
    console.log(`peak rolling window    ${peakWindow} of ${emulator.limiter.max} requests in ${emulator.limiter.intervalMs} ms (sampled every 50 ms)`);
    console.log(`activities per worker  ${perWorker.join(' / ')} (one server-side limit for all of them)`);
    console.log(`other failures         5xx ${stats.serverErrors}, dropped ${stats.dropped}`);
    if (provisioned !== opts.people) process.exitCode = 1;
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running?.catch(() => undefined);
    await Promise.allSettled(connections.map((c) => c.close()));
    await client?.close().catch(() => undefined);
    await adapter?.close?.();
    await emulator?.close();
    await temporal?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The same activities, counting executions so the report shows every worker took part. */
function countingActivities(activities: BulkActivities, count: () => void): BulkActivities {
  return {
    ensureAccount: (...args) => (count(), activities.ensureAccount(...args)),
    ensureEntitlements: (...args) => (count(), activities.ensureEntitlements(...args)),
  };
}

/** The most requests the emulator's rolling window held at any sample: how close the run came to a 429. */
function startWindowSampler(limiter: HubspotEmulator['limiter']): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, limiter.max - limiter.remaining())), 50);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

main().catch((err: unknown) => {
  console.error(`hubspot bench failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
