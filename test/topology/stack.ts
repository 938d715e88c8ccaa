/**
 * The production topology on this machine: the pinned Temporal server (built into .tools/) with its
 * services as separate processes on a private PostgreSQL, and idsync's processes exactly as
 * docker-compose.yml describes them (scripts/topology/*), against a private subtree of the run's
 * slapd and the target emulators over HTTP. The idsync config is what deploy/idsync.yaml would hold:
 * container paths, secrets by the names deploy/idsync.env.example lists.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { PROJECT_ROOT, freePort } from '../../scripts/local-services';
import { ensureTemporalBuild } from '../../scripts/topology/temporal-build';
import { startPostgres, type LocalPostgres } from '../../scripts/topology/postgres';
import { startTemporalCluster, type TemporalCluster } from '../../scripts/topology/temporal-cluster';
import { idsyncServices, readComposeFile } from '../../scripts/topology/compose-topology';
import { buildCompiledIdsync, IdsyncDeployment, type Replica } from '../../scripts/topology/idsync-processes';
import { idsyncDataConverter } from '../../app/encryption';
import { validateConfig, type IdsyncConfig } from '../../app/config';
import { buildRuntime, closeRuntime } from '../../app/build-runtime';
import type { Runtime } from '../../app/runtime';
import { startSalesforceEmulator, salesforceSeedSchema } from '../../emulators/salesforce';
import { startHighspotEmulator } from '../../emulators/highspot';
import { startScimEmulator } from '../../emulators/scim';
import { createLdapFixture, type LdapFixture } from '../directory/support/ldap-fixture';
import { testEnv } from '../support/env';
import { pollUntil } from '../support/poll';

export const CONFIG_BIND_SOURCE = './deploy/idsync.yaml';
export const SECRETS_ENV_FILE = './deploy/idsync.env';
/** Everyone hired is a support agent: Salesforce, Highspot and the support desk. */
export const GROUP = 'support';
export const TARGETS = ['salesforce', 'highspot', 'support-desk'] as const;

export interface TopologyStack {
  runDir: string;
  cluster: TemporalCluster;
  deployment: IdsyncDeployment;
  ldap: LdapFixture;
  client: Client;
  /** Adapters over the same config, for reading the targets through their SDKs. */
  runtime: Runtime;
  /** The config with container paths (what every replica got, rewritten to its own mounts). */
  config: Record<string, unknown>;
  intakePort: number;
  startReplica(service: string, index: number): Promise<Replica>;
  close(): Promise<void>;
}

export async function startTopology(log: (line: string) => void): Promise<TopologyStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch((err) => log(`topology: cleanup: ${(err as Error).message}`));
  };
  try {
    return await assemble(log, cleanups, close);
  } catch (err) {
    await close();
    throw err;
  }
}

async function assemble(log: (line: string) => void, cleanups: (() => Promise<unknown>)[], close: () => Promise<void>): Promise<TopologyStack> {
  const build = await ensureTemporalBuild(log);
  const runDir = testEnv.scratchDir('topology');
  const pg: LocalPostgres = await startPostgres(join(runDir, 'postgres'));
  cleanups.push(() => pg.stop());
  const cluster = await startTemporalCluster(build, pg, join(runDir, 'temporal'));
  cleanups.push(() => cluster.stop());
  log(`topology: Temporal ${build.serverBin.split('/').slice(-3).join('/')} on PostgreSQL :${pg.port}, frontend ${cluster.address}`);

  const secrets = {
    LDAP_BIND_PASSWORD: testEnv.ldap().bindPassword,
    SALESFORCE_CLIENT_SECRET: randomBytes(12).toString('hex'),
    HIGHSPOT_SCIM_TOKEN: randomBytes(12).toString('hex'),
    HIGHSPOT_API_KEY: randomBytes(6).toString('hex'),
    HIGHSPOT_API_SECRET: randomBytes(12).toString('hex'),
    SUPPORT_DESK_SCIM_TOKEN: randomBytes(12).toString('hex'),
    IDSYNC_INTAKE_HMAC_SECRET: randomBytes(16).toString('hex'),
    IDSYNC_ENCRYPTION_KEYS: `topology-1=${randomBytes(32).toString('base64')}`,
  };
  // Only secrets an operator's deploy/idsync.env would hold (its example lists them).
  const listed = readFileSync(join(PROJECT_ROOT, `${SECRETS_ENV_FILE}.example`), 'utf8');
  for (const name of Object.keys(secrets)) if (!new RegExp(`^${name}=`, 'm').test(listed)) throw new Error(`${SECRETS_ENV_FILE}.example does not list ${name}`);
  const catalog = parse(readFileSync(join(PROJECT_ROOT, 'config/demo-catalog.yaml'), 'utf8'));
  const [salesforce, highspot, scim] = await Promise.all([
    // The demo org's 40 Salesforce licences would end most joiners at LICENSE_LIMIT_EXCEEDED.
    startSalesforceEmulator({ seed: salesforceSeedSchema.parse({ ...catalog.salesforce, userLicenses: { ...catalog.salesforce.userLicenses, Salesforce: 100_000 } }), clients: [{ clientId: 'topology', clientSecret: secrets.SALESFORCE_CLIENT_SECRET }] }),
    startHighspotEmulator({ seed: catalog.highspot, scimToken: secrets.HIGHSPOT_SCIM_TOKEN, apiKey: secrets.HIGHSPOT_API_KEY, apiSecret: secrets.HIGHSPOT_API_SECRET }),
    startScimEmulator({ seed: catalog.scim, token: secrets.SUPPORT_DESK_SCIM_TOKEN }),
  ]);
  cleanups.push(() => Promise.allSettled([salesforce.close(), highspot.close(), scim.close()]));

  const ldap = await createLdapFixture('topology');
  cleanups.push(() => ldap.close());
  // groupOfNames needs a member: the group starts with a disabled placeholder nobody provisions.
  const placeholder = await ldap.addPerson('placeholder', { employeeType: 'disabled' });
  await ldap.addGroup(GROUP, [placeholder]);

  const intakePort = await freePort();
  const policy = parse(readFileSync(join(PROJECT_ROOT, 'config/policy.example.yaml'), 'utf8')).policy;
  const config: Record<string, unknown> = {
    // TEMPORAL_ADDRESS from the compose file's environment overrides it, as in a container.
    temporal: { address: 'temporal:7233', namespace: cluster.namespace },
    directory: { ...ldap.config({ attributes: { startDate: 'employeeStartDate', endDate: 'employeeEndDate' }, pageSize: 250 }), bindPasswordEnv: 'LDAP_BIND_PASSWORD' },
    watcher: { pollInterval: '500ms', presenceScanInterval: '2s', stateDir: '/var/lib/idsync/watcher', baseline: 'silent', guard: { maxLeavers: 25 } },
    intake: { port: intakePort, hmacSecretEnv: 'IDSYNC_INTAKE_HMAC_SECRET' },
    audit: { path: '/var/lib/idsync/audit/audit.log' },
    // Encrypted as in production: every process reads the keyring from the same secret.
    encryption: { keysEnv: 'IDSYNC_ENCRYPTION_KEYS' },
    targets: {
      salesforce: { kind: 'salesforce', loginUrl: salesforce.url, auth: { flow: 'client_credentials', clientId: 'topology', clientSecretEnv: 'SALESFORCE_CLIENT_SECRET' }, suspendMode: 'freeze' },
      highspot: { kind: 'highspot', baseUrl: highspot.scimUrl, tokenEnv: 'HIGHSPOT_SCIM_TOKEN', restBaseUrl: highspot.restUrl, apiKeyEnv: 'HIGHSPOT_API_KEY', apiSecretEnv: 'HIGHSPOT_API_SECRET', userNameAttribute: 'email' },
      'support-desk': { kind: 'scim', baseUrl: scim.url, tokenEnv: 'SUPPORT_DESK_SCIM_TOKEN', userNameAttribute: 'email', deleteMode: 'delete', gracePeriod: '7d' },
    },
    policy: { ...policy, targets: Object.fromEntries(TARGETS.map((t) => [t, policy.targets[t]])) },
  };
  // The same file, validated here first: a config mistake fails with its path, not as a crashed replica.
  const checked: IdsyncConfig = validateConfig(JSON.parse(JSON.stringify(config)), 'topology');
  Object.assign(process.env, secrets);
  const runtime = buildRuntime({ ...checked, audit: { path: join(runDir, 'test-side-audit.log') } });
  cleanups.push(() => closeRuntime(runtime));

  buildCompiledIdsync();
  const deployment = new IdsyncDeployment(idsyncServices(readComposeFile()), {
    runDir,
    hosts: { temporal: cluster.address },
    envFiles: { [SECRETS_ENV_FILE]: secrets },
    config,
    configBindSource: CONFIG_BIND_SOURCE,
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '' },
  });
  cleanups.push(() => deployment.stopAll());
  const connection = await Connection.connect({ address: cluster.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: cluster.namespace, dataConverter: idsyncDataConverter(checked) });

  const startReplica = async (service: string, index: number): Promise<Replica> => {
    const replica = deployment.start(service, index);
    await waitForOutput(replica, /idsync (worker: polling|watch: watcher workflow)/, 1);
    return replica;
  };
  return { runDir, cluster, deployment, ldap, client, runtime, config, intakePort, startReplica, close };
}

/** Waits until `pattern` has been printed `times` times (a restarted replica prints its banner again). */
export function waitForOutput(replica: Replica, pattern: RegExp, times: number, timeoutMs = 180_000): Promise<string> {
  const global = new RegExp(pattern.source, 'g');
  return pollUntil(
    `${replica.service}-${replica.index} to print ${pattern} (${times}x)`,
    async () => ((replica.output().match(global)?.length ?? 0) >= times ? replica.output() : undefined),
    { timeoutMs, intervalMs: 200 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- ${replica.service}-${replica.index} output ---\n${replica.output().slice(-3000)}`);
  });
}
