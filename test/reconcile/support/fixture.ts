/**
 * Reconciliation fixture, all real: a private LDAP subtree on the run's slapd, the Salesforce emulator
 * (target "crm", in-process over HTTP through jsforce) and a SCIM emulator (target "desk"), idsync's
 * config validated as in production, and workers on unique task queues in the default namespace.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Worker, bundleWorkflowCode, DefaultLogger, Runtime as TemporalRuntime, type NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { Connection as JsforceConnection } from 'jsforce';
import { validateConfig, type IdsyncConfig } from '../../../app/config';
import { PROJECT_ROOT } from '../../../scripts/local-services';
import type { Runtime } from '../../../app/runtime';
import { personWorkflowId } from '../../../lib/names';
import { buildRuntime, closeRuntime } from '../../../app/build-runtime';
import { createProvisioningActivities } from '../../../activities/provisioning';
import { createReconcileActivities } from '../../../activities/reconcile';
import { createDirectoryActivities } from '../../../activities/directory';
import { computeDesiredState } from '../../../policy/desired-state';
import type { PolicyConfig } from '../../../policy/config';
import { DEFAULT_CLIENTS, salesforceSeedSchema, startSalesforceEmulator, type SalesforceEmulator } from '../../../emulators/salesforce';
import { startScimEmulator, type ScimEmulatorHandle } from '../../../emulators/scim';
import type { ReconcileInput, ReconcileOptions } from '../../../workflows/reconcile';
import { createLdapFixture, type LdapFixture } from '../../directory/support/ldap-fixture';
import { testEnv, uniqueId } from '../../support/env';
import { targetDescription } from '../../../targets/registry';

try {
  TemporalRuntime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* already installed */
}

export const POLICY = {
  approvals: { approvers: { manager: true, groups: ['access-approvers'] }, deadline: '2h' },
  targets: {
    crm: {
      scope: [{ id: 'crm-sales', when: { groups: ['sales'] } }],
      birthright: { id: 'crm-birthright', grant: { kind: 'profile', name: 'Standard User' } },
      rules: [{ id: 'crm-admin', when: { groups: ['crm-admins'] }, grant: { kind: 'permissionSet', name: 'Modify_All_Data', privileged: true } }],
      account: { username: '{username | lower}@corp.example.com', email: '{email | lower}' },
      attributes: { Alias: { template: '{username | alnum | lower | first:8}', required: true }, Department: '{department}' },
    },
    desk: {
      scope: [{ id: 'desk-support', when: { groups: ['support'] } }],
      birthright: { id: 'desk-birthright', grant: { kind: 'group', name: 'Agents' } },
    },
  },
};

export interface Queues {
  orchestration: string;
  options: Required<ReconcileOptions>;
}

export function uniqueQueues(label: string, orchestration?: string): Queues {
  const base = uniqueId(label);
  const orchestrationQueue = orchestration ?? `${base}-orchestration`;
  return { orchestration: orchestrationQueue, options: { directoryQueue: `${base}-directory`, targetQueuePrefix: `${base}-target-`, orchestrationQueue, guardWorkflowId: `${base}-guard` } };
}

export interface Fixture {
  ldap: LdapFixture;
  salesforce: SalesforceEmulator;
  desk: ScimEmulatorHandle;
  config(overrides?: Record<string, unknown>): IdsyncConfig;
  runtime: Runtime;
  scratch: string;
  jsforce(): Promise<JsforceConnection>;
  close(): Promise<void>;
}

export async function createFixture(): Promise<Fixture> {
  const deskToken = randomBytes(12).toString('hex');
  process.env.RECONCILE_DESK_TOKEN = deskToken;
  process.env.RECONCILE_CRM_SECRET = DEFAULT_CLIENTS[0]!.clientSecret;
  const catalog = parse(readFileSync(join(PROJECT_ROOT, 'config/demo-catalog.yaml'), 'utf8'));
  const [ldap, salesforce, desk] = await Promise.all([
    createLdapFixture('reconcile'),
    startSalesforceEmulator({ seed: salesforceSeedSchema.parse(catalog.salesforce), queryBatchSize: 3 }),
    startScimEmulator({ token: deskToken, seed: { groups: ['Agents', 'Leads'] } }),
  ]);
  const scratch = testEnv.scratchDir('reconcile');
  const config = (overrides: Record<string, unknown> = {}) =>
    validateConfig(
      {
        temporal: { address: testEnv.temporalAddress(), namespace: 'default' },
        directory: ldap.config(),
        audit: { path: join(scratch, 'audit.log') },
        targets: {
          crm: { kind: 'salesforce', loginUrl: salesforce.url, auth: { flow: 'client_credentials', clientId: DEFAULT_CLIENTS[0]!.clientId, clientSecretEnv: 'RECONCILE_CRM_SECRET' }, pageSize: 3 },
          desk: { kind: 'scim', baseUrl: desk.url, tokenEnv: 'RECONCILE_DESK_TOKEN', deleteMode: 'deactivate' },
        },
        policy: POLICY,
        // Small pages: every target takes several page activities, so paging across activities is exercised.
        reconcile: { pageSize: 2 },
        ...overrides,
      },
      'reconcile-test',
    );
  const runtime = buildRuntime(config());
  return {
    ldap,
    salesforce,
    desk,
    config,
    runtime,
    scratch,
    async jsforce() {
      const conn = new JsforceConnection({ loginUrl: salesforce.url, version: '62.0', oauth2: { clientId: DEFAULT_CLIENTS[0]!.clientId, clientSecret: DEFAULT_CLIENTS[0]!.clientSecret } });
      await conn.authorize({ grant_type: 'client_credentials' });
      return conn;
    },
    async close() {
      await closeRuntime(runtime);
      await Promise.allSettled([ldap.close(), salesforce.close(), desk.close()]);
    },
  };
}

const quietBundler = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;

/** Workers as production registers them (workers/workers.ts), on the test's own queues. */
export async function startWorkers(connection: NativeConnection, client: Client, runtime: Runtime, queues: Queues, opts: { workflows: boolean; affinityAttempts?: number }) {
  const activities = { ...createProvisioningActivities(runtime), ...createReconcileActivities(runtime, { client, affinityAttempts: opts.affinityAttempts }) };
  const workers: Worker[] = [];
  if (opts.workflows) {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quietBundler });
    workers.push(await Worker.create({ connection, taskQueue: queues.orchestration, workflowBundle }));
  }
  workers.push(await Worker.create({ connection, taskQueue: queues.options.directoryQueue, activities }));
  for (const target of Object.keys(runtime.config.targets)) {
    workers.push(await Worker.create({ connection, taskQueue: `${queues.options.targetQueuePrefix}${target}`, activities, maxTaskQueueActivitiesPerSecond: 50 }));
  }
  const running = workers.map((w) => w.run());
  return {
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
    },
  };
}

/**
 * The one mass-change guard for `queues`: a real directory watcher (its own state directory and
 * activity queue, watching the fixture's directory) started as `queues.options.guardWorkflowId`, with
 * the given guard settings. Reconciliation asks it before applying anything.
 */
export async function startGuard(connection: NativeConnection, client: Client, fx: Fixture, queues: Queues, guard: Record<string, unknown>) {
  const base = queues.options.guardWorkflowId;
  const runtime = buildRuntime(
    // This watcher sees only the operators (its filter), so it never starts person workflows of its
    // own for the people these tests drive; operator checks read the same directory.
    fx.config({
      directory: { ...fx.ldap.config(), people: { ...fx.ldap.config().people, filter: '(uid=ops-*)' } },
      watcher: { stateDir: join(fx.scratch, base), guard: { operatorGroups: ['idsync-operators'], ...guard } },
    }),
  );
  const activityTaskQueue = `${base}-activities`;
  const worker = await Worker.create({ connection, taskQueue: activityTaskQueue, activities: createDirectoryActivities(runtime, { client, personQueues: { orchestration: `${base}-unserved` } }) });
  const running = worker.run();
  const handle = await client.workflow.start('directoryWatcherWorkflow', { workflowId: base, taskQueue: queues.orchestration, args: [{ activityTaskQueue }] });
  return {
    handle,
    async shutdown() {
      await handle.terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running.catch(() => undefined);
      await closeRuntime(runtime);
    },
  };
}

/** A person in the fixture's subtree, in the given groups (created on first use); returns the anchor. */
export async function addPerson(fx: Fixture, uid: string, groups: string[], attrs: Record<string, string> = {}): Promise<string> {
  const dn = await fx.ldap.addPerson(uid, { departmentNumber: 'Sales', ...attrs });
  for (const group of groups) {
    await fx.ldap.addValues(fx.ldap.groupDn(group), 'member', [dn]).catch(async () => fx.ldap.addGroup(group, [dn]));
  }
  const person = await fx.runtime.directory.findPerson({ username: uid });
  if (!person) throw new Error(`${uid} is not readable through the directory source`);
  return person.anchor;
}

/** The account exactly as policy wants it, written straight through the adapter (no workflow, no link). */
export async function provisionDirectly(fx: Fixture, anchor: string, target: 'crm' | 'desk'): Promise<string> {
  const person = await fx.runtime.directory.getPerson(anchor);
  const config = fx.runtime.config;
  const desired = computeDesiredState(person!, config.policy as PolicyConfig, { [target]: { kind: config.targets[target]!.kind, gracePeriod: config.targets[target]!.gracePeriod, description: targetDescription(config.targets[target]!.kind) } }, new Date()).targets[0]!;
  if (!desired.account) throw new Error(`${anchor} is not in scope of ${target}: ${desired.scopeReason}`);
  const adapter = fx.runtime.adapters.get(target)!;
  const { accountId } = await adapter.ensureAccount(desired.account);
  await adapter.ensureEntitlements(accountId, desired.account.entitlements, 'overwrite');
  return accountId;
}

/** Counts the accounts the target's adapter streams from now on (every read, re-reads included). */
export function countStreamedAccounts(runtime: Runtime, target: string): () => number {
  const adapter = runtime.adapters.get(target)!;
  const list = adapter.listAccounts.bind(adapter);
  let streamed = 0;
  adapter.listAccounts = async function* () {
    for await (const account of list()) {
      streamed++;
      yield account;
    }
  };
  return () => streamed;
}

/** The same target queue polled from a second OS process, with its own streams. */
export async function startTargetWorkerProcess(fx: Fixture, queues: Queues, target: string, affinityAttempts: number) {
  const spec = { address: testEnv.temporalAddress(), config: fx.config(), target, taskQueue: `${queues.options.targetQueuePrefix}${target}`, affinityAttempts };
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'target-worker-process.ts')], {
    env: { ...process.env, IDSYNC_TEST_RECONCILE_WORKER: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`reconcile worker process exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
  });
  return {
    streamed: () =>
      new Promise<number>((resolve) => {
        child.once('message', (m) => resolve((m as { streamed: number }).streamed));
        child.send('streamed');
      }),
    stop: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function startStandIn(client: Client, queues: Queues, anchor: string, links: string[]): Promise<void> {
  await client.workflow.start('linkStandInWorkflow', { workflowId: personWorkflowId(anchor), taskQueue: queues.orchestration, args: [{ anchor, links }] });
}

export function reconcileInput(queues: Queues, apply: boolean, targets?: string[]): ReconcileInput {
  return { apply, trigger: 'test', options: queues.options, ...(targets ? { targets } : {}) };
}
