/**
 * Latency from an LDAP write (a new person) to the start of that person's workflow, with the watcher
 * at its default settings (2 s poll). Starts its own Temporal dev server and slapd; cleans up.
 * Goal: p99 < 3 s.   node --import tsx bench/ldap-latency.ts [samples]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime as TemporalRuntime, Worker } from '@temporalio/worker';
import { Client as LdapClient, EqualityFilter } from 'ldapts';
import { createDirectoryActivities } from '../activities/directory';
import { createDirectorySource } from '../directory';
import { directoryConfigSchema, resolveWatcherConfig } from '../directory/config';
import type { IdsyncConfig } from '../app/config';
import { startSlapd, startTemporalDevServer, type LocalSlapd, type TemporalDevServer } from '../scripts/local-services';
import { WORKFLOW_TYPES, personWorkflowId } from '../lib/names';
import type { Runtime } from '../app/runtime';

const SAMPLES = Number(process.argv[2] ?? 40);
const SUFFIX = 'dc=example,dc=com';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  TemporalRuntime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-latency-'));
  const password = randomBytes(12).toString('hex');
  let temporal: TemporalDevServer | undefined;
  let slapd: LocalSlapd | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    [temporal, slapd] = await Promise.all([
      startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') }),
      startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password }),
    ]);
    const ldap = new LdapClient({ url: slapd.url });
    await ldap.bind(slapd.bindDn, password);
    closers.push(() => ldap.unbind());
    for (let i = 0; i < 200; i++) {
      await ldap.add(`uid=base${i},ou=people,${SUFFIX}`, { objectClass: 'inetOrgPerson', uid: `base${i}`, cn: `base${i}`, sn: 'B' });
    }
    process.env.IDSYNC_BENCH_LDAP_PASSWORD = password;
    const directory = directoryConfigSchema.parse({
      kind: 'ldap',
      url: slapd.url,
      bindDn: slapd.bindDn,
      bindPasswordEnv: 'IDSYNC_BENCH_LDAP_PASSWORD',
      people: { baseDn: `ou=people,${SUFFIX}` },
      groups: { baseDn: `ou=groups,${SUFFIX}` },
    });
    const taskQueue = 'bench-ldap-latency';
    const watcher = resolveWatcherConfig({ stateDir: join(dir, 'state') });
    const source = createDirectorySource(directory);
    closers.push(() => source.close());
    const connection = await Connection.connect({ address: temporal.address });
    closers.push(() => connection.close());
    const client = new Client({ connection });
    const runtime: Runtime = {
      config: { directory, watcher } as unknown as IdsyncConfig,
      adapters: new Map(),
      directory: source,
      audit: { append: async () => undefined },
    };
    const native = await NativeConnection.connect({ address: temporal.address });
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowsPath: require.resolve('./ldap-latency-support'),
      activities: createDirectoryActivities(runtime, { client, personQueues: { orchestration: taskQueue } }),
    });
    const running = worker.run();
    closers.push(async () => {
      worker.shutdown();
      await running;
      await native.close();
    });
    await client.workflow.start(WORKFLOW_TYPES.directoryWatcher, { workflowId: 'bench-watcher', taskQueue, args: [{ activityTaskQueue: taskQueue }] });
    await sleep(5000); // baseline done, steady state

    const latencies: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      await sleep(Math.random() * 2000); // land anywhere in the poll cycle
      const uid = `joiner${i}`;
      const dn = `uid=${uid},ou=people,${SUFFIX}`;
      const writtenAt = Date.now();
      await ldap.add(dn, { objectClass: 'inetOrgPerson', uid, cn: uid, sn: 'J' });
      const { searchEntries } = await ldap.search(`ou=people,${SUFFIX}`, { filter: new EqualityFilter({ attribute: 'uid', value: uid }), attributes: ['entryUUID'] });
      const anchor = String(searchEntries[0]!.entryUUID);
      for (;;) {
        try {
          const started = (await client.workflow.getHandle(personWorkflowId(anchor)).describe()).startTime.getTime();
          latencies.push(started - writtenAt);
          break;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          await sleep(50);
        }
      }
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.log(`${SAMPLES} LDAP adds -> person workflow start, default watcher settings (poll ${watcher.pollInterval} ms):`);
    console.log(`p50 ${(p50 / 1000).toFixed(2)} s, p99 ${(p99 / 1000).toFixed(2)} s, min ${(sorted[0]! / 1000).toFixed(2)} s, max ${(sorted.at(-1)! / 1000).toFixed(2)} s`);
    console.log(`goal p99 < 3 s: ${p99 < 3000 ? 'MET' : 'NOT MET'}`);
    for await (const wf of client.workflow.list({ query: `TaskQueue="${taskQueue}" AND ExecutionStatus="Running"` })) {
      await client.workflow.getHandle(wf.workflowId).terminate('bench finished').catch(() => undefined);
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await Promise.allSettled([temporal?.stop(), slapd?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
