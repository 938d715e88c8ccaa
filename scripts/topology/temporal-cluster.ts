/**
 * The full Temporal server on PostgreSQL, as production runs it: the schemas set up by the server's own
 * schema tool from the module source, then frontend, history, matching and the internal worker service
 * as separate processes (they find each other through the membership table in the database). The
 * default namespace and idsync's search attributes are registered the way docker-compose's
 * temporal-setup does: the Temporal CLI with lib/search-attributes.ts's registration list.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { Connection } from '@temporalio/client';
import { freePort, stopChild, temporalCliPath } from '../local-services';
import { searchAttributeRegistrations } from '../../lib/search-attributes';
import type { LocalPostgres } from './postgres';
import type { TemporalBuild } from './temporal-build';

const execFileAsync = promisify(execFile);
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
type ServiceName = (typeof TEMPORAL_SERVICES)[number];
const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;

export interface TemporalCluster {
  /** The frontend's gRPC address (what TEMPORAL_ADDRESS points at). */
  address: string;
  namespace: string;
  /** Stops every service process, then starts them again on the same database and ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function sqlTool(build: TemporalBuild, pg: LocalPostgres, database: string, args: string[]): Promise<void> {
  const base = ['--plugin', 'postgres12', '--endpoint', pg.host, '--port', String(pg.port), '--user', pg.user, '--database', database];
  try {
    await execFileAsync(build.sqlToolBin, [...base, ...args]);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`temporal sql tool ${args[0]} on ${database} failed: ${(e.stderr || e.message).trim().slice(-800)}`);
  }
}

/** create-database, setup-schema -v 0.0, update-schema to the newest versioned schema in the module source. */
export async function setupTemporalSchemas(build: TemporalBuild, pg: LocalPostgres): Promise<void> {
  for (const [schema, database] of Object.entries(DATABASES)) {
    await sqlTool(build, pg, database, ['create-database']);
    await sqlTool(build, pg, database, ['setup-schema', '-v', '0.0']);
    await sqlTool(build, pg, database, ['update-schema', '-d', join(build.moduleDir, 'schema', 'postgresql', 'v12', schema, 'versioned')]);
  }
}

type Ports = Record<ServiceName, { grpcPort: number; membershipPort: number }>;

function serverConfig(pg: LocalPostgres, ports: Ports, dynamicConfigFile: string): Record<string, unknown> {
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: { pluginName: 'postgres12', databaseName, connectAddr: `${pg.host}:${pg.port}`, connectProtocol: 'tcp', user: pg.user, password: '', maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h' },
  });
  const frontend = `127.0.0.1:${ports.frontend.grpcPort}`;
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': datastore(DATABASES.temporal, 20), 'postgres-visibility': datastore(DATABASES.visibility, 5) },
    },
    // No metrics or pprof listeners: four processes on one host would fight over their ports.
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: Object.fromEntries(TEMPORAL_SERVICES.map((s) => [s, { rpc: { ...ports[s], bindOnLocalHost: true } }])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: frontend } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    publicClient: { hostPort: frontend },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Sets up the schemas, starts the four services and registers the namespace and search attributes. */
export async function startTemporalCluster(build: TemporalBuild, pg: LocalPostgres, dir: string, namespace = 'default'): Promise<TemporalCluster> {
  mkdirSync(dir, { recursive: true });
  await setupTemporalSchemas(build, pg);
  const ports = {} as Ports;
  for (const s of TEMPORAL_SERVICES) ports[s] = { grpcPort: await freePort(), membershipPort: await freeMembershipPort() };
  const dynamicConfigFile = join(dir, 'dynamicconfig.yaml');
  // As the dev server the tests use: one partition per queue, so a target queue's server-side rate
  // limit is not split over partitions; search attributes usable right after registration.
  writeFileSync(
    dynamicConfigFile,
    stringify({
      'matching.numTaskqueueReadPartitions': [{ value: 1 }],
      'matching.numTaskqueueWritePartitions': [{ value: 1 }],
      'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
    }),
  );
  const configFile = join(dir, 'temporal.yaml');
  writeFileSync(configFile, stringify(serverConfig(pg, ports, dynamicConfigFile)));
  const address = `127.0.0.1:${ports.frontend.grpcPort}`;
  let children: ChildProcess[] = [];
  const startAll = async () => {
    children = TEMPORAL_SERVICES.map((service) => {
      const log = openSync(join(dir, `${service}.log`), 'a');
      return spawn(build.serverBin, ['--config-file', configFile, '--allow-no-auth', 'start', '--service', service], { stdio: ['ignore', log, log] });
    });
    await waitForFrontend(address, children, dir);
  };
  const stopAll = async () => {
    await Promise.all(children.map((c) => stopChild(c, 10_000)));
  };
  try {
    await startAll();
    await registerNamespace(address, namespace);
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    address,
    namespace,
    restart: async () => {
      await stopAll();
      await startAll();
      // History and matching join the ring after the frontend answers; a namespace read proves the path.
      await retry('the restarted Temporal cluster to serve the namespace', () => cli(address, ['operator', 'namespace', 'describe', '--namespace', namespace]));
    },
    stop: stopAll,
  };
}

/**
 * The cluster_membership table stores the membership port as a smallint, so it must be below 32768,
 * where the OS never hands out ephemeral ports: a random free one from 20000-32767.
 */
async function freeMembershipPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 32768 for Temporal membership');
}

async function waitForFrontend(address: string, children: ChildProcess[], dir: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null);
    if (dead) throw new Error(`a Temporal service exited during start-up (${dead.spawnargs.at(-1)}); see ${dir}/*.log`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`the Temporal frontend did not answer on ${address} in 120 s; see ${dir}/*.log`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function cli(address: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(temporalCliPath(), [...args, '--address', address]);
  return stdout;
}

/** Retries while the services are still joining the membership ring. */
async function retry(what: string, attempt: () => Promise<unknown>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${((err as { stderr?: string }).stderr || (err as Error).message).trim().slice(-500)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function registerNamespace(address: string, namespace: string): Promise<void> {
  await retry(`namespace ${namespace}`, async () => {
    await cli(address, ['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '72h']).catch(async (err) => {
      // A namespace created by an attempt whose answer was lost counts.
      await cli(address, ['operator', 'namespace', 'describe', '--namespace', namespace]).catch(() => Promise.reject(err));
    });
  });
  for (const registration of searchAttributeRegistrations()) {
    const [name, type] = registration.split('=') as [string, string];
    await retry(`search attribute ${name}`, async () => {
      await cli(address, ['operator', 'search-attribute', 'create', '--namespace', namespace, '--name', name, '--type', type]).catch(async (err) => {
        const listed = await cli(address, ['operator', 'search-attribute', 'list', '--namespace', namespace]);
        if (!listed.includes(name)) throw err;
      });
    });
  }
}
