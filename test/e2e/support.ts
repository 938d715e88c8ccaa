/**
 * The end-to-end fixture: idsync exactly as `npm start` wires it (buildRuntime, startWorkers,
 * startWatching with the fixed task-queue names) in the run's idsync-e2e namespace, against a private
 * LDAP subtree on the real slapd and all four target emulators over HTTP with the real SDKs.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { validateConfig, type IdsyncConfig } from '../../app/config';
import { PROJECT_ROOT } from '../../scripts/local-services';
import type { Runtime } from '../../app/runtime';
import { buildRuntime, closeRuntime } from '../../app/build-runtime';
import { startWorkers, type RunningWorkers } from '../../workers/workers';
import { startWatching, type Watching } from '../../starters/watch';
import { startSalesforceEmulator, salesforceSeedSchema, type SalesforceEmulator } from '../../emulators/salesforce';
import { startHubspotEmulator, hubspotSeedSchema, type HubspotEmulator } from '../../emulators/hubspot';
import { startHighspotEmulator, type HighspotEmulatorHandle } from '../../emulators/highspot';
import { startScimEmulator, type ScimEmulatorHandle } from '../../emulators/scim';
import { createLdapFixture, type LdapFixture } from '../directory/support/ldap-fixture';
import { testEnv } from '../support/env';
import { pollUntil } from '../support/poll';

export interface E2E {
  ldap: LdapFixture;
  config: IdsyncConfig;
  runtime: Runtime;
  client: Client;
  emulators: { salesforce: SalesforceEmulator; hubspot: HubspotEmulator; highspot: HighspotEmulatorHandle; scim: ScimEmulatorHandle };
  close(): Promise<void>;
}

const DEMO_GROUPS = ['sales', 'sales-emea', 'sales-amer', 'sales-managers', 'marketing', 'support', 'hubspot-users', 'highspot-users', 'idsync-approvers'];

export async function startE2E(): Promise<E2E> {
  const secrets = {
    SALESFORCE_CLIENT_SECRET: randomBytes(12).toString('hex'),
    HUBSPOT_ACCESS_TOKEN: `pat-na1-${randomBytes(8).toString('hex')}`,
    HIGHSPOT_SCIM_TOKEN: randomBytes(12).toString('hex'),
    HIGHSPOT_API_KEY: randomBytes(6).toString('hex'),
    HIGHSPOT_API_SECRET: randomBytes(12).toString('hex'),
    SUPPORT_DESK_SCIM_TOKEN: randomBytes(12).toString('hex'),
  };
  Object.assign(process.env, secrets);
  const cleanups: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    return await assemble(secrets, cleanups, closeAll);
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function assemble(secrets: Record<string, string>, cleanups: (() => Promise<unknown>)[], closeAll: () => Promise<void>): Promise<E2E> {
  const catalog = parse(readFileSync(join(PROJECT_ROOT, 'config/demo-catalog.yaml'), 'utf8'));
  const ldap = await createLdapFixture('e2e');
  cleanups.push(() => ldap.close());
  // groupOfNames needs a member: every group starts with a placeholder person nobody provisions.
  const placeholder = await ldap.addPerson('placeholder', { employeeType: 'disabled' });
  for (const group of DEMO_GROUPS) await ldap.addGroup(group, [placeholder]);

  const [salesforce, hubspot, highspot, scim] = await Promise.all([
    startSalesforceEmulator({ seed: salesforceSeedSchema.parse(catalog.salesforce), clients: [{ clientId: 'e2e', clientSecret: secrets.SALESFORCE_CLIENT_SECRET }] }),
    startHubspotEmulator({ seed: hubspotSeedSchema.parse(catalog.hubspot), tokens: [secrets.HUBSPOT_ACCESS_TOKEN] }),
    startHighspotEmulator({ seed: catalog.highspot, scimToken: secrets.HIGHSPOT_SCIM_TOKEN, apiKey: secrets.HIGHSPOT_API_KEY, apiSecret: secrets.HIGHSPOT_API_SECRET }),
    startScimEmulator({ seed: catalog.scim, token: secrets.SUPPORT_DESK_SCIM_TOKEN }),
  ]);
  cleanups.push(() => Promise.allSettled([salesforce.close(), hubspot.close(), highspot.close(), scim.close()]));
  const scratch = testEnv.scratchDir('e2e');
  const policy = parse(readFileSync(join(PROJECT_ROOT, 'config/policy.example.yaml'), 'utf8')).policy;
  const config = validateConfig(
    {
      temporal: { address: testEnv.temporalAddress(), namespace: testEnv.e2eNamespace() },
      // HR dates come from the idsyncPerson auxiliary class, as in the demo.
      directory: ldap.config({ attributes: { startDate: 'employeeStartDate', endDate: 'employeeEndDate' } }),
      watcher: { pollInterval: '300ms', presenceScanInterval: '1s', stateDir: join(scratch, 'watcher'), baseline: 'silent' },
      audit: { path: join(scratch, 'audit.log') },
      targets: {
        salesforce: { kind: 'salesforce', loginUrl: salesforce.url, auth: { flow: 'client_credentials', clientId: 'e2e', clientSecretEnv: 'SALESFORCE_CLIENT_SECRET' }, suspendMode: 'freeze' },
        hubspot: { kind: 'hubspot', basePath: hubspot.url, accessTokenEnv: 'HUBSPOT_ACCESS_TOKEN', suspendRoleName: 'No Access' },
        highspot: { kind: 'highspot', baseUrl: highspot.scimUrl, tokenEnv: 'HIGHSPOT_SCIM_TOKEN', restBaseUrl: highspot.restUrl, apiKeyEnv: 'HIGHSPOT_API_KEY', apiSecretEnv: 'HIGHSPOT_API_SECRET' },
        'support-desk': { kind: 'scim', baseUrl: scim.url, tokenEnv: 'SUPPORT_DESK_SCIM_TOKEN', userNameAttribute: 'email', deleteMode: 'delete', gracePeriod: '7d' },
      },
      policy,
    },
    'e2e',
  );
  const runtime = buildRuntime(config);
  cleanups.push(() => closeRuntime(runtime));
  const connection = await Connection.connect({ address: config.temporal.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const workerConnection = await NativeConnection.connect({ address: config.temporal.address });
  cleanups.push(() => workerConnection.close());
  const workers: RunningWorkers = await startWorkers(runtime, { connection: workerConnection, namespace: config.temporal.namespace, client });
  cleanups.push(() => workers.shutdown());
  const watching: Watching = await startWatching(config, client);
  cleanups.push(() => watching.stop());
  // The first poll records the directory as it is (baseline: silent); changes count from then on.
  await waitFor('the watcher baseline', async () => {
    const status = await client.workflow.getHandle(watching.watcherWorkflowId).query<{ lastPollAt: string | null }>('watcherStatus');
    return status.lastPollAt !== null;
  });
  // Workflows left open would be picked up by the next run's workers in this namespace.
  cleanups.push(() => terminateAll(client));
  return { ldap, config, runtime, client, emulators: { salesforce, hubspot, highspot, scim }, close: closeAll };
}

async function terminateAll(client: Client): Promise<void> {
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    await client.workflow.getHandle(wf.workflowId).terminate('end-to-end test finished').catch(() => undefined);
  }
}

/** Runs (child workflows) of one kind for one person, as an operator would find them in the UI. */
export async function runsOf(client: Client, anchor: string, kind: string): Promise<{ workflowId: string; status: string }[]> {
  const runs: { workflowId: string; status: string }[] = [];
  for await (const wf of client.workflow.list({ query: `IdsyncPerson = "${anchor}" AND IdsyncEventKind = "${kind}"` })) {
    runs.push({ workflowId: wf.workflowId, status: wf.status.name });
  }
  return runs;
}

/** Waits for a truthy probe, polling through errors (the watcher may not answer queries yet). */
export function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMs, intervalMs: 250, retryErrors: true, accept: Boolean }) as Promise<T>;
}

/** What ran in the namespace, for a failing test's output: type, id, status, and the failure if any. */
export async function describeWorkflows(client: Client): Promise<string> {
  const lines: string[] = [];
  for await (const wf of client.workflow.list()) {
    let failure = '';
    if (wf.status.name === 'FAILED' || wf.status.name === 'RUNNING') {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory().catch(() => undefined);
      const failed = history?.events?.filter((e) => e.activityTaskFailedEventAttributes || e.workflowExecutionFailedEventAttributes || e.workflowTaskFailedEventAttributes) ?? [];
      failure = failed
        .slice(-2)
        .map((e) => (e.activityTaskFailedEventAttributes ?? e.workflowExecutionFailedEventAttributes ?? e.workflowTaskFailedEventAttributes)?.failure?.message)
        .join(' | ');
    }
    if (wf.status.name === 'RUNNING') {
      const description = await client.workflow.getHandle(wf.workflowId, wf.runId).describe().catch(() => undefined);
      for (const pending of description?.raw.pendingActivities ?? []) {
        failure += ` [pending ${pending.activityType?.name} attempt ${pending.attempt}: ${pending.lastFailure?.message ?? 'no failure yet'}]`;
      }
    }
    lines.push(`${wf.type} ${wf.workflowId} ${wf.status.name}${failure ? ` :: ${failure}` : ''}`);
  }
  return `workflows in ${client.options.namespace}:\n  ${lines.join('\n  ')}`;
}
