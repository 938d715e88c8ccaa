/**
 * idsync as `npm start` wires it (buildRuntime, startWorkers, startWatching: the watcher, the SCIM
 * endpoint it owns, the guard) in a namespace of this file's own (registered here with idsync's
 * search attributes, so the fixed watcher id and queue names meet no other test), against the
 * SCIM emulator as the one target, driven over HTTP by the real connector.
 */
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { validateConfig, type IdsyncConfig } from '../../app/config';
import { buildRuntime, closeRuntime } from '../../app/build-runtime';
import { PROJECT_ROOT } from '../../scripts/local-services';
import { SEARCH_ATTRIBUTE_KEYS } from '../../lib/search-attributes';
import { startWorkers } from '../../workers/workers';
import { startWatching, type Watching } from '../../starters/watch';
import { startScimEmulator, type ScimEmulatorHandle } from '../../emulators/scim';
import { testEnv, uniqueId } from '../support/env';
import { pollUntil } from '../support/poll';
import { SCIM_TOKEN } from './scim-support';

export interface ScimStack {
  client: Client;
  config: IdsyncConfig;
  watching: Watching;
  target: ScimEmulatorHandle;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function privateNamespace(connection: Connection, label: string): Promise<string> {
  const namespace = uniqueId(label);
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  const searchAttributes = Object.fromEntries(Object.values(SEARCH_ATTRIBUTE_KEYS).map((key) => [key.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]));
  // A namespace just registered takes a moment to reach every service of the server.
  await pollUntil('the new namespace to take search attributes', async () => (await connection.operatorService.addSearchAttributes({ namespace, searchAttributes }), true), { timeoutMs: 30_000, retryErrors: true });
  return namespace;
}

/** `directory` and `intake` sections for the stack; `scimPort` is a free port for the endpoint. */
export type StackSections = (scimPort: number) => Pick<IdsyncConfig, 'directory'> & { intake?: unknown };

export async function startScimStack(label: string, sections: StackSections, guard: Record<string, unknown>): Promise<ScimStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const targetToken = randomBytes(12).toString('hex');
    Object.assign(process.env, { SCIM_STACK_TARGET_TOKEN: targetToken, SCIM_STACK_INBOUND_TOKEN: SCIM_TOKEN, SCIM_STACK_INTAKE_SECRET: randomBytes(16).toString('hex') });
    const catalog = parse(readFileSync(join(PROJECT_ROOT, 'config/demo-catalog.yaml'), 'utf8'));
    const target = await startScimEmulator({ seed: catalog.scim, token: targetToken });
    cleanups.push(() => target.close());
    const examplePolicy = parse(readFileSync(join(PROJECT_ROOT, 'config/policy.example.yaml'), 'utf8')).policy;
    const policy = { ...examplePolicy, targets: { 'support-desk': examplePolicy.targets['support-desk'] }, lifecycle: { ...examplePolicy.lifecycle, gracePeriod: { 'support-desk': '7d' } } };
    const connection = await Connection.connect({ address: testEnv.temporalAddress() });
    cleanups.push(() => connection.close());
    const namespace = await privateNamespace(connection, label);
    const scratch = testEnv.scratchDir(label);
    const config = validateConfig(
      {
        temporal: { address: testEnv.temporalAddress(), namespace },
        ...sections(await freePort()),
        watcher: { pollInterval: '300ms', presenceScanInterval: '1s', stateDir: join(scratch, 'watcher'), baseline: 'silent', guard: { maxLeaverPercent: 100, minPeoplePercent: 0, minSnapshotForPercent: 1000, ...guard } },
        audit: { path: join(scratch, 'audit.log') },
        targets: { 'support-desk': { kind: 'scim', baseUrl: target.url, tokenEnv: 'SCIM_STACK_TARGET_TOKEN', userNameAttribute: 'email', deleteMode: 'delete', gracePeriod: '7d' } },
        policy,
      },
      label,
    );
    const runtime = buildRuntime(config);
    cleanups.push(() => closeRuntime(runtime));
    const client = new Client({ connection, namespace });
    const workerConnection = await NativeConnection.connect({ address: testEnv.temporalAddress() });
    cleanups.push(() => workerConnection.close());
    const workers = await startWorkers(runtime, { connection: workerConnection, namespace, client });
    cleanups.push(() => workers.shutdown());
    const watching = await startWatching(config, client);
    cleanups.push(() => watching.stop());
    cleanups.push(async () => {
      for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) await client.workflow.getHandle(wf.workflowId).terminate('test finished').catch(() => undefined);
    });
    await pollUntil('the watcher baseline', async () => (await client.workflow.getHandle(watching.watcherWorkflowId).query<{ lastPollAt: string | null }>('watcherStatus')).lastPollAt !== null || undefined, {
      timeoutMs: 60_000,
      retryErrors: true,
    });
    return { client, config, watching, target, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The target's account for a userName (the support desk keys accounts by e-mail), or undefined. */
export async function targetAccount(target: ScimEmulatorHandle, userName: string) {
  return (await target.state()).users.find((u) => u.userName.toLowerCase() === userName.toLowerCase());
}

export function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMs, intervalMs: 250, retryErrors: true, accept: Boolean }) as Promise<T>;
}
