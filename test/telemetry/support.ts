/**
 * idsync's production worker set-up (startWorkers with the fixed task-queue names, every role) with its telemetry
 * on: the Prometheus endpoint on a free loopback port and tracing into an in-memory exporter, in a
 * namespace of its own (registered here with idsync's search attributes), against a private LDAP
 * subtree on the run's slapd and one SCIM emulator (target "desk") over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Connection, type Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { validateConfig, type IdsyncConfig } from '../../app/config';
import { buildRuntime, closeRuntime } from '../../app/build-runtime';
import { connectClient, connectWorker } from '../../app/temporal-connection';
import { telemetrySettings } from '../../app/telemetry';
import { createTracing, tracingClientInterceptors, type Tracing } from '../../app/tracing';
import type { Runtime } from '../../app/runtime';
import { installQuietTemporalLogging, startWorkers, type RunningWorkers } from '../../workers/workers';
import { SEARCH_ATTRIBUTE_KEYS } from '../../lib/search-attributes';
import { startScimEmulator, type ScimEmulatorHandle } from '../../emulators/scim';
import { freePort } from '../../scripts/local-services';
import { createLdapFixture, type LdapFixture } from '../directory/support/ldap-fixture';
import { testEnv, uniqueId } from '../support/env';
import { pollUntil } from '../support/poll';

export interface TelemetryStack {
  ldap: LdapFixture;
  scim: ScimEmulatorHandle;
  config: IdsyncConfig;
  runtime: Runtime;
  client: Client;
  /** Where the workers serve GET /metrics. */
  metricsUrl: string;
  spans: InMemorySpanExporter;
  tracing: Tracing;
  close(): Promise<void>;
}

/** A namespace of this file's own: the production workers poll idsync's fixed queue names. */
async function registerNamespace(namespace: string): Promise<void> {
  const connection = await Connection.connect({ address: testEnv.temporalAddress() });
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const searchAttributes = Object.fromEntries(Object.values(SEARCH_ATTRIBUTE_KEYS).map((key) => [key.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]));
    // A namespace just registered takes a moment to reach every service of the server.
    await pollUntil('the new namespace to take search attributes', async () => (await connection.operatorService.addSearchAttributes({ namespace, searchAttributes }), true), {
      timeoutMs: 30_000,
      retryErrors: true,
    });
  } finally {
    await connection.close();
  }
}

export async function startTelemetryStack(): Promise<TelemetryStack> {
  const namespace = uniqueId('idsync-telemetry');
  await registerNamespace(namespace);
  const ldap = await createLdapFixture('telemetry');
  const token = randomBytes(16).toString('hex');
  const scim = await startScimEmulator({ token, seed: { groups: ['Agents', 'Admins'] } });
  const env = { ...process.env, TELEMETRY_DESK_TOKEN: token };
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const config = validateConfig(
    {
      temporal: { address: testEnv.temporalAddress(), namespace },
      directory: ldap.config(),
      // Polling fast; a guard that trips at two leavers (the file's last test starts the watcher).
      watcher: { stateDir: join(testEnv.scratchDir('telemetry'), 'watcher'), pollInterval: '300ms', presenceScanInterval: '1s', guard: { maxLeavers: 1, minSnapshotForPercent: 1000 } },
      audit: { path: join(testEnv.scratchDir('telemetry'), 'audit.log') },
      encryption: { mode: 'off' },
      targets: { desk: { kind: 'scim', baseUrl: scim.url, tokenEnv: 'TELEMETRY_DESK_TOKEN', gracePeriod: '2d', deleteMode: 'delete' } },
      policy: {
        approvals: { approvers: { manager: false, groups: ['access-approvers'] } },
        targets: {
          desk: {
            scope: [{ id: 'desk-scope-support', when: { groups: ['support'] } }],
            birthright: { id: 'desk-birthright', grant: { kind: 'group', name: 'Agents' } },
            rules: [{ id: 'desk-admins', when: { groups: ['desk-admins'] }, grant: { kind: 'group', name: 'Admins', privileged: true } }],
          },
        },
      },
      telemetry: { metrics: { prometheus: { bindAddress: metricsAddress } } },
    },
    'telemetry test config',
    undefined,
    env,
  );
  // As installTemporalRuntime does, with an in-memory exporter in place of the OTLP one.
  installQuietTemporalLogging(env, telemetrySettings(config.telemetry, env));
  const spans = new InMemorySpanExporter();
  const tracing = createTracing(spans, 'idsync-test');
  const runtime = buildRuntime(config, env);
  const client = await connectClient(config, env, tracingClientInterceptors(tracing));
  const { connection, dataConverter } = await connectWorker(config, env);
  const workers: RunningWorkers = await startWorkers(runtime, {
    connection,
    namespace,
    dataConverter,
    client,
    roles: ['orchestration', 'directory', 'targets', 'watcher'],
    telemetry: { tracing, metrics: true, pendingApprovalsIntervalMs: 500 },
  });
  return {
    ldap,
    scim,
    config,
    runtime,
    client,
    metricsUrl: `http://${metricsAddress}/metrics`,
    spans,
    tracing,
    async close() {
      await workers.shutdown();
      await tracing.shutdown();
      await closeRuntime(runtime);
      await connection.close();
      await client.connection.close();
      await Promise.allSettled([scim.close(), ldap.close()]);
    },
  };
}

/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export async function scrape(url: string): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  const text = await response.text();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { text, samples };
}

/** The sum of `name`'s samples whose labels include `labels`. */
export function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}
