/**
 * Directory change -> visible in the target, on the product's own path, in a directory of N people
 * (default 10,000). slapd holds the people in three region groups (5 % also in sales-managers); the
 * Salesforce emulator (its own process) already holds every one of them as policy wants them. The
 * real watcher runs at its defaults (2 s poll, silent baseline: the accounts exist, so the first poll
 * only records everyone), with the real person workflows, planning, audit and Salesforce connector
 * (jsforce) at the demo configuration's Salesforce budget. A person's workflow starts with their
 * first change, as in any deployment adopted with the default silent baseline.
 *
 * Then a series of changes, one at a time, each at a random point of the poll cycle: movers promoted
 * into or demoted out of sales-managers (their Salesforce role changes) and a few joiners (a new
 * entry, then added to a region group). Each is timed from the LDAP operation's completion to the
 * role being visible through jsforce (polled every 50 ms). Prints p50/p90/p99 against the goal
 * p99 < 3 s, and where the time went (from Temporal's histories). Figures are printed, not asserted.
 *   node --import tsx bench/directory-latency.ts [--people 10000] [--movers 80] [--joiners 8]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import type { Connection as SalesforceConnection } from 'jsforce';
import { loadConfigFile } from '../app/config';
import { buildRuntime, closeRuntime } from '../app/build-runtime';
import { installQuietTemporalLogging, startWorkers, type RunningWorkers } from '../workers/workers';
import { startWatching, type Watching } from '../starters/watch';
import { startSlapd, startTemporalDevServer, type LocalSlapd, type TemporalDevServer } from '../scripts/local-services';
import { WATCHER_WORKFLOW_ID } from '../lib/names';
import { resolveWatcherConfig } from '../directory/config';
import { createSalesforceConnection } from '../targets/salesforce/connection';
import type { SalesforceConfig } from '../targets/salesforce/config';
import { soqlString } from '../targets/salesforce/read';
import { startSalesforceProcess, type EmulatorHandle } from './emulator-processes';
import { percentile, pollDurations, stagesOf, STAGE_NAMES, type Sample, type Stages } from './latency-stages';
import {
  BENCH_ENV,
  CLIENT_ID,
  MANAGERS_GROUP,
  PEOPLE_BASE,
  REGIONS,
  TARGET,
  directoryLdif,
  groupDn,
  mailOf,
  people,
  personDn,
  regionGroup,
  roleFor,
  salesforceSeed,
  writeIdsyncConfig,
  type BenchPerson,
} from './directory-latency-setup';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VISIBLE_POLL_MS = 50;
const GIVE_UP_MS = 120_000;

function options() {
  const { values } = parseArgs({ options: { people: { type: 'string', default: '10000' }, movers: { type: 'string', default: '80' }, joiners: { type: 'string', default: '8' } } });
  const [count, movers, joiners] = [values.people, values.movers, values.joiners].map(Number) as [number, number, number];
  if (![count, movers, joiners].every((n) => Number.isInteger(n) && n >= 0) || count < 100) throw new Error('--people (>= 100), --movers and --joiners must be whole numbers');
  return { people: count, movers, joiners };
}

async function readAnchors(ldap: LdapClient): Promise<Map<string, string>> {
  const { searchEntries } = await ldap.search(PEOPLE_BASE, { filter: '(objectClass=inetOrgPerson)', attributes: ['uid', 'entryUUID'], paged: { pageSize: 1000 } });
  return new Map(searchEntries.map((e) => [String(e.uid), String(e.entryUUID)]));
}

async function anchorOf(ldap: LdapClient, uid: string): Promise<string> {
  const { searchEntries } = await ldap.search(personDn(uid), { scope: 'base', attributes: ['entryUUID'] });
  return String(searchEntries[0]!.entryUUID);
}

async function waitForWatcherBaseline(client: Client): Promise<void> {
  for (;;) {
    const status = await client.workflow.getHandle(WATCHER_WORKFLOW_ID).query<{ lastPollAt: string | null }>('watcherStatus').catch(() => undefined);
    if (status?.lastPollAt) return;
    await sleep(500);
  }
}

/** The user's role name through jsforce, polled until it is `role`; the time it was first seen. */
async function waitUntilVisible(sf: SalesforceConnection, username: string, role: string): Promise<number | null> {
  const deadline = Date.now() + GIVE_UP_MS;
  while (Date.now() < deadline) {
    const { records } = await sf.query<{ UserRole: { Name: string } | null }>(`SELECT Id, UserRole.Name FROM User WHERE Username = ${soqlString(username)}`);
    if (records[0]?.UserRole?.Name === role) return Date.now();
    await sleep(VISIBLE_POLL_MS);
  }
  return null;
}

type Change_ = { kind: 'promote' | 'demote' | 'joiner'; person: BenchPerson };

/** Movers alternate promotions and demotions (people picked evenly through the directory); joiners spread among them. */
function changes(everyone: BenchPerson[], movers: number, joiners: number): Change_[] {
  const reps = everyone.filter((p) => !p.manager);
  const managers = everyone.filter((p) => p.manager);
  const list: Change_[] = [];
  for (let i = 0; i < movers; i++) {
    const pool = i % 2 === 0 ? reps : managers;
    list.push({ kind: i % 2 === 0 ? 'promote' : 'demote', person: pool[Math.floor(((i >> 1) + 0.5) * (pool.length / Math.ceil(movers / 2)))]! });
  }
  for (let j = 0; j < joiners; j++) {
    const uid = `join${String(j + 1).padStart(4, '0')}`;
    list.splice(Math.round(((j + 1) * list.length) / (joiners + 1)) + j, 0, { kind: 'joiner', person: { uid, region: REGIONS[j % REGIONS.length]!, manager: false } });
  }
  return list;
}

/** Applies one change to slapd; the role it should give. */
async function apply(ldap: LdapClient, change: Change_): Promise<string> {
  const { person } = change;
  const member = (operation: 'add' | 'delete', group: string) =>
    ldap.modify(groupDn(group), new Change({ operation, modification: new Attribute({ type: 'member', values: [personDn(person.uid)] }) }));
  if (change.kind === 'promote') await member('add', MANAGERS_GROUP);
  if (change.kind === 'demote') await member('delete', MANAGERS_GROUP);
  if (change.kind === 'joiner') {
    await ldap.add(personDn(person.uid), { objectClass: 'inetOrgPerson', uid: person.uid, cn: `Bench ${person.uid}`, givenName: 'Bench', sn: person.uid, mail: mailOf(person.uid) });
    await member('add', regionGroup(person.region));
  }
  return roleFor(person.region, change.kind === 'promote');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function report(kinds: Map<string, number[]>, stages: Stages[], polls: number[], total: number, missed: number): void {
  const all = [...kinds.values()].flat();
  const p99 = percentile(all, 99);
  console.log('');
  for (const [kind, latencies] of [['all', all] as const, ...kinds]) {
    if (latencies.length === 0) continue;
    console.log(`${kind.padEnd(9)} n=${String(latencies.length).padEnd(4)} p50 ${seconds(percentile(latencies, 50))}  p90 ${seconds(percentile(latencies, 90))}  p99 ${seconds(percentile(latencies, 99))}  max ${seconds(Math.max(...latencies))}`);
  }
  console.log(`goal p99 < 3 s: ${missed === 0 && p99 < 3000 ? 'MET' : 'NOT MET'} (p99 ${seconds(p99)}${missed ? `; ${missed} of ${total} never visible within ${GIVE_UP_MS / 1000} s` : ''})`);
  console.log(`\nwhere the time went (ms, over ${stages.length} samples read back from Temporal's histories):`);
  console.log(`  ${'stage'.padEnd(9)} ${'p50'.padStart(6)} ${'p90'.padStart(6)} ${'p99'.padStart(6)} ${'mean'.padStart(6)}`);
  for (const name of STAGE_NAMES) {
    const v = stages.map((s) => s[name]);
    console.log(`  ${name.padEnd(9)} ${[percentile(v, 50), percentile(v, 90), percentile(v, 99), v.reduce((a, b) => a + b, 0) / v.length].map((x) => x.toFixed(0).padStart(6)).join(' ')}`);
  }
  console.log('  (watcher = wait for the next poll + the poll + delivery; queued is part of planning and apply)');
  if (polls.length) console.log(`watcher polls while measuring: ${polls.length}, p50 ${percentile(polls, 50)} ms, p90 ${percentile(polls, 90)} ms, max ${Math.max(...polls)} ms`);
}

async function main(): Promise<void> {
  const opts = options();
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-latency-'));
  const password = randomBytes(12).toString('hex');
  const secret = randomBytes(16).toString('hex');
  let slapd: LocalSlapd | undefined;
  let temporal: TemporalDevServer | undefined;
  let salesforce: EmulatorHandle | undefined;
  let connection: Connection | undefined;
  let native: NativeConnection | undefined;
  let workers: RunningWorkers | undefined;
  let watching: Watching | undefined;
  let runtime: ReturnType<typeof buildRuntime> | undefined;
  let ldapBound: LdapClient | undefined;
  installQuietTemporalLogging({ IDSYNC_LOG_LEVEL: 'ERROR' });
  try {
    [slapd, temporal] = await Promise.all([startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password }), startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') })]);
    const everyone = people(opts.people);
    const ldif = join(dir, 'directory.ldif');
    const passwordFile = join(dir, '.bindpw');
    writeFileSync(ldif, directoryLdif(everyone));
    writeFileSync(passwordFile, password, { mode: 0o600 });
    const setupStarted = Date.now();
    await execFileAsync('ldapadd', ['-x', '-H', slapd.url, '-D', slapd.bindDn, '-y', passwordFile, '-f', ldif], { maxBuffer: 64 * 1024 * 1024 });
    ldapBound = new LdapClient({ url: slapd.url });
    await ldapBound.bind(slapd.bindDn, password);
    const anchors = await readAnchors(ldapBound);
    salesforce = await startSalesforceProcess(dir, salesforceSeed(everyone, anchors), { id: CLIENT_ID, secret });

    const configPath = join(dir, 'idsync.json');
    writeIdsyncConfig(configPath, dir, slapd, temporal.address, salesforce.url);
    Object.assign(process.env, { [BENCH_ENV.ldapPassword]: password, [BENCH_ENV.salesforceSecret]: secret });
    const config = loadConfigFile(configPath);
    runtime = buildRuntime(config);
    connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    native = await NativeConnection.connect({ address: temporal.address });
    workers = await startWorkers(runtime, { connection: native, namespace: 'default', client });
    watching = await startWatching(config, client);
    await waitForWatcherBaseline(client);
    const sf = await createSalesforceConnection(TARGET, config.targets[TARGET] as SalesforceConfig, process.env).connection();
    const watcherSettings = resolveWatcherConfig(config.watcher);
    const rate = (config.targets[TARGET] as SalesforceConfig).rateLimit;
    console.log(
      `directory latency bench: ${opts.people} people in slapd, their Salesforce users already in the emulator (own process); ` +
        `set up and baseline in ${seconds(Date.now() - setupStarted)}; watcher poll ${watcherSettings.pollInterval} ms, baseline ${watcherSettings.baseline}; ` +
        `Salesforce queue ${rate.activitiesPerSecond} activities/s, ${rate.maxConcurrent} at a time`,
    );

    const samples: Sample[] = [];
    const kinds = new Map<string, number[]>([['mover', []], ['joiner', []]]);
    let missed = 0;
    const measuringFrom = Date.now();
    const planned = changes(everyone, opts.movers, opts.joiners);
    for (const [i, change] of planned.entries()) {
      await sleep(Math.random() * 2000); // land anywhere in the poll cycle
      const role = await apply(ldapBound, change);
      const writtenAt = Date.now();
      const visibleAt = await waitUntilVisible(sf, mailOf(change.person.uid), role);
      if (visibleAt === null) {
        missed++;
        console.log(`  ${change.kind} ${i + 1}: not visible after ${GIVE_UP_MS / 1000} s`);
        continue;
      }
      const anchor = anchors.get(change.person.uid) ?? (await anchorOf(ldapBound, change.person.uid));
      samples.push({ anchor, writtenAt, visibleAt });
      kinds.get(change.kind === 'joiner' ? 'joiner' : 'mover')!.push(visibleAt - writtenAt);
      if ((i + 1) % 20 === 0) console.log(`  ${i + 1} of ${planned.length} changes measured`);
    }
    const stages = (await Promise.all(samples.map((s) => stagesOf(client, s)))).filter((s): s is Stages => s !== null);
    const polls = await pollDurations(client, WATCHER_WORKFLOW_ID, measuringFrom, Date.now());
    report(kinds, stages, polls, planned.length, missed);
    if (missed > 0) process.exitCode = 1;
  } finally {
    await ldapBound?.unbind().catch(() => undefined);
    await watching?.stop().catch(() => undefined);
    await workers?.shutdown().catch(() => undefined);
    if (runtime) await closeRuntime(runtime).catch(() => undefined);
    await native?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await salesforce?.close().catch(() => undefined);
    await temporal?.stop().catch(() => undefined);
    await slapd?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`directory latency bench failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
