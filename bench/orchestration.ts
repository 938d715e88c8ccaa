/**
 * Orchestration ratio (issue 13, bench a). N joiners (default 500) are added to a real slapd and go
 * through idsync's product path: the real directory watcher, person workflows, planning, audit and the
 * HubSpot, SCIM and Highspot connectors, with every target queue's rate limit lifted. Then, on the
 * same Temporal server, the baseline: one bare workflow per person with the same activity count and
 * shape, each activity sending the HTTP requests idsync's activity sent (recorded by a proxy in
 * front of the emulators, replayed to fresh emulators of the same seed). Prints both throughputs and
 * their ratio (goal >= 0.8), activity wall time by type, and worker CPU per person. idsync, the
 * baseline's worker, the proxy and each emulator run in processes of their own, so each CPU figure
 * is that worker's alone. Figures are printed, never asserted.
 *   node --import tsx bench/orchestration.ts [--people 500] [--cpu-prof-dir DIR] [--no-baseline] [--temporal host:port]
 * --cpu-prof-dir runs the idsync worker under `node --cpu-prof` and leaves its profile there.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { PROJECT_ROOT, startSlapd, startTemporalDevServer, stopChild, type LocalSlapd, type TemporalDevServer } from '../scripts/local-services';
import { TASK_QUEUES, WATCHER_WORKFLOW_ID, WORKFLOW_TYPES } from '../lib/names';
import { verifyAuditLog } from '../audit';
import { DIRECTORY_SLOTS, LIFTED_RATE_LIMIT, TARGETS, cpuSeconds, peopleLdif, secretsEnv, startEmulators, startRecordingProxy, writeIdsyncConfig, type BenchSecrets, type Emulators, type RecordingProxy } from './orchestration-setup';
import { runHistories, bareShape, timingsByType, type ActivityRun } from './orchestration-history';
import type { BareResult } from './orchestration-bare-workflow';

const execFileAsync = promisify(execFile);

function options() {
  const { values } = parseArgs({ options: { people: { type: 'string', default: '500' }, 'cpu-prof-dir': { type: 'string' }, 'no-baseline': { type: 'boolean', default: false }, temporal: { type: 'string' } } });
  const people = Number(values.people);
  if (!Number.isInteger(people) || people < 1) throw new Error('--people must be a positive integer');
  return { people, cpuProfDir: values['cpu-prof-dir'], baseline: !values['no-baseline'], temporalAddress: values.temporal };
}

/** A worker script in a child process; resolves once it prints "ready". */
async function startWorkerProcess(nodeArgs: string[], script: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(PROJECT_ROOT, 'bench', script), ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return child;
}

async function waitForWatcherBaseline(client: Client): Promise<void> {
  for (;;) {
    const status = await client.workflow.getHandle(WATCHER_WORKFLOW_ID).query<{ lastPollAt: string | null }>('watcherStatus').catch(() => undefined);
    if (status?.lastPollAt) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function listIds(client: Client, query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

interface Side {
  elapsedS: number;
  cpuS: number;
  runs: Map<string, ActivityRun[]>;
  /** Per person, over every workflow that ran for them (idsync: the person workflow and its joiner run). */
  workflowTasks: number;
}

/** idsync's path: LDAP add -> watcher -> person workflows -> planning, connectors, audit. */
async function runIdsync(client: Client, slapd: LocalSlapd, dir: string, password: string, people: number, worker: ChildProcess): Promise<Side> {
  const ldif = join(dir, 'people.ldif');
  const passwordFile = join(dir, '.bindpw');
  writeFileSync(ldif, peopleLdif(people));
  writeFileSync(passwordFile, password, { mode: 0o600 });
  const cpuBefore = cpuSeconds(worker.pid!);
  const started = Date.now();
  await execFileAsync('ldapadd', ['-x', '-H', slapd.url, '-D', slapd.bindDn, '-y', passwordFile, '-f', ldif], { maxBuffer: 64 * 1024 * 1024 });
  const converged = `WorkflowType = "${WORKFLOW_TYPES.personLifecycle}" AND IdsyncOutcome = "converged"`;
  while ((await client.workflow.count(converged)).count < people) await new Promise((r) => setTimeout(r, 500));
  const elapsedS = (Date.now() - started) / 1000;
  const cpuS = cpuSeconds(worker.pid!) - cpuBefore;
  const runIds = await listIds(client, 'WorkflowType = "joinerWorkflow"');
  const joiners = await runHistories(client, runIds);
  const persons = await runHistories(client, await listIds(client, `WorkflowType = "${WORKFLOW_TYPES.personLifecycle}"`));
  return { elapsedS, cpuS, runs: joiners.runs, workflowTasks: (joiners.workflowTasks + persons.workflowTasks) / people };
}

const BARE_QUEUE_PREFIX = 'bench-bare-';
const bareQueue = (taskQueue: string) => `${BARE_QUEUE_PREFIX}${taskQueue}`;

/** The baseline: bare workflows replaying each idsync activity's recorded requests to fresh emulators. */
async function runBaseline(client: Client, idsync: Side, recordingPath: string, proxy: RecordingProxy, temporalAddress: string): Promise<Side & { replay: BareResult }> {
  const queues = {
    workflows: bareQueue(TASK_QUEUES.orchestration),
    activities: [{ taskQueue: bareQueue(TASK_QUEUES.directory), slots: DIRECTORY_SLOTS }, ...TARGETS.map((t) => ({ taskQueue: bareQueue(TASK_QUEUES.target(t)), slots: LIFTED_RATE_LIMIT.maxConcurrent }))],
  };
  const worker = await startWorkerProcess([], 'orchestration-bare-worker.ts', [recordingPath, temporalAddress, JSON.stringify(proxy.origins), JSON.stringify(queues)], {});
  try {
    const shapes = [...idsync.runs].map(([workflowId, runs]) => bareShape(workflowId, runs, TASK_QUEUES.directory, bareQueue));
    const cpuBefore = cpuSeconds(worker.pid!);
    const started = Date.now();
    const handles = await Promise.all(shapes.map((shape, i) => client.workflow.start('bareReplayWorkflow', { workflowId: `bench-bare-${i}`, taskQueue: queues.workflows, args: [shape] })));
    const results = (await Promise.all(handles.map((h) => h.result()))) as BareResult[];
    const elapsedS = (Date.now() - started) / 1000;
    const cpuS = cpuSeconds(worker.pid!) - cpuBefore;
    const replay = results.reduce((a, r) => ({ requests: a.requests + r.requests, sameStatus: a.sameStatus + r.sameStatus }), { requests: 0, sameStatus: 0 });
    const histories = await runHistories(client, handles.map((h) => h.workflowId));
    return { elapsedS, cpuS, runs: histories.runs, workflowTasks: histories.workflowTasks / handles.length, replay };
  } finally {
    await stopChild(worker, 10_000);
  }
}

function report(people: number, idsync: Side, recorded: number, baseline?: Side & { replay: BareResult }): void {
  const activities = (side: Side) => [...side.runs.values()].reduce((n, r) => n + r.length, 0);
  const line = (name: string, side: Side) =>
    `${name.padEnd(10)} ${(people / side.elapsedS).toFixed(2)} people/s (${people} in ${side.elapsedS.toFixed(1)} s); ${(activities(side) / people).toFixed(2)} activities and ${side.workflowTasks.toFixed(1)} workflow tasks per person; worker CPU ${side.cpuS.toFixed(1)} s = ${((side.cpuS / people) * 1000).toFixed(0)} ms per person`;
  console.log('');
  console.log(line('idsync', idsync));
  console.log(`${''.padEnd(10)} ${recorded} HTTP requests recorded (${(recorded / people).toFixed(2)} per person)`);
  if (baseline) {
    console.log(line('baseline', baseline));
    console.log(`${''.padEnd(10)} ${baseline.replay.requests} requests replayed, ${((baseline.replay.sameStatus / Math.max(1, baseline.replay.requests)) * 100).toFixed(1)} % with the recorded status`);
    console.log(`ratio      ${(baseline.elapsedS / idsync.elapsedS).toFixed(2)} (idsync throughput / baseline throughput; goal >= 0.8)`);
  }
  const mine = timingsByType(idsync.runs.values());
  const theirs = baseline ? timingsByType(baseline.runs.values()) : new Map();
  console.log('activity wall time by type and target (run = started to closed; total = scheduled to closed), mean / p50 ms:');
  for (const [type, t] of [...mine].sort(([a], [b]) => a.localeCompare(b))) {
    const b = theirs.get(type);
    console.log(`  ${type.padEnd(32)} idsync ${t.count} runs: run ${t.meanRunMs.toFixed(0)} / ${t.p50RunMs} ms, total ${t.meanScheduleToCloseMs.toFixed(0)} ms` + (b ? `; baseline run ${b.meanRunMs.toFixed(0)} / ${b.p50RunMs} ms, total ${b.meanScheduleToCloseMs.toFixed(0)} ms` : ''));
  }
}

async function main(): Promise<void> {
  const opts = options();
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-orchestration-'));
  const password = randomBytes(12).toString('hex');
  const secrets: BenchSecrets = { ldapPassword: password, hubspotToken: `pat-na1-${randomBytes(6).toString('hex')}`, scimToken: randomBytes(8).toString('hex'), highspotToken: randomBytes(8).toString('hex'), highspotKey: 'bench-key', highspotSecret: randomBytes(8).toString('hex') };
  let slapd: LocalSlapd | undefined;
  let temporal: TemporalDevServer | undefined;
  let emulators: Emulators | undefined;
  let proxy: RecordingProxy | undefined;
  let worker: ChildProcess | undefined;
  let connection: Connection | undefined;
  try {
    [slapd, temporal, emulators] = await Promise.all([
      startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password }),
      opts.temporalAddress ? undefined : startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') }),
      startEmulators(dir, secrets),
    ]);
    proxy = await startRecordingProxy(emulators.origins);
    const temporalAddress = opts.temporalAddress ?? temporal!.address;
    const configPath = join(dir, 'idsync.json');
    writeIdsyncConfig(configPath, dir, slapd, temporalAddress, proxy.origins);
    const profile = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
    worker = await startWorkerProcess(profile, 'orchestration-worker.ts', [configPath, temporalAddress], secretsEnv(secrets));
    connection = await Connection.connect({ address: temporalAddress });
    const client = new Client({ connection });
    await waitForWatcherBaseline(client);
    console.log(`orchestration bench: ${opts.people} joiners through idsync (watcher, person workflows, planning, audit; HubSpot, SCIM, Highspot connectors; rate limits lifted), then the bare-workflow baseline replaying their requests`);

    const idsync = await runIdsync(client, slapd, dir, password, opts.people, worker);
    await stopChild(worker, 20_000); // writes the --cpu-prof profile
    worker = undefined;
    const audit = await verifyAuditLog(join(dir, 'audit.log'));
    const recording = await proxy.takeRecording();
    const recordingPath = join(dir, 'recording.json');
    writeFileSync(recordingPath, JSON.stringify(recording), { mode: 0o600 });

    let baseline: (Side & { replay: BareResult }) | undefined;
    if (opts.baseline) {
      await emulators.close();
      emulators = await startEmulators(dir, secrets);
      await proxy.retarget(emulators.origins);
      baseline = await runBaseline(client, idsync, recordingPath, proxy, temporalAddress);
    }
    report(opts.people, idsync, recording.length, baseline);
    console.log(`audit log  ${audit.records} records, chain ${audit.ok ? 'intact' : `broken: ${audit.problem}`}`);
    if (!audit.ok || idsync.runs.size !== opts.people || (baseline && baseline.replay.requests !== recording.length)) process.exitCode = 1;
  } finally {
    if (worker) await stopChild(worker, 20_000).catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await emulators?.close().catch(() => undefined);
    await temporal?.stop().catch(() => undefined);
    await slapd?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`orchestration bench failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
