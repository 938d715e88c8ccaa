import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime as TemporalRuntime, Worker, bundleWorkflowCode, type LogLevel, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Client, ClientInterceptors } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createProvisioningActivities } from '../activities/provisioning';
import { createDirectoryActivities } from '../activities/directory';
import { createReconcileActivities } from '../activities/reconcile';
import { createGroupActivities } from '../activities/groups';
import { TASK_QUEUES } from '../lib/names';
import type { Runtime } from '../app/runtime';
import { ENCODED_FAILURE_CONVERTER_PATH } from '../app/encryption';
import { temporalTelemetryOptions, telemetrySettings, type TelemetrySettings } from '../app/telemetry';
import { tracingClientInterceptors, tracingFromSettings } from '../app/tracing';
import type { IdsyncConfig } from '../app/config';
import { activityInterceptors, reportPendingApprovals, workflowSinks, WORKFLOW_INTERCEPTOR_MODULES, type WorkerTelemetry } from './telemetry';

/**
 * Which parts of idsync this process runs. Operators scale horizontally by running more processes
 * with the same roles: Temporal spreads tasks over them, and each target queue's rate limit is
 * enforced by the server, so more workers never mean more requests per second to a target.
 * 'watcher' (the directory watcher's workflow and activities on queues of their own) belongs in the
 * one process that owns the watcher's state directory: starters/watch.ts runs it, as does `npm start`.
 */
export type WorkerRole = 'orchestration' | 'directory' | 'targets' | 'watcher';
export const ALL_ROLES: readonly WorkerRole[] = ['orchestration', 'directory', 'targets', 'watcher'];

export interface RunningWorkers {
  /** Task queues being polled, for the start-up banner. */
  taskQueues: string[];
  shutdown(): Promise<void>;
  /** Resolves when every worker has stopped; rejects if one crashed. */
  done: Promise<void>;
}

/**
 * Worker-state chatter at INFO is noise for operators; warnings (failed activity attempts) and errors
 * stay. IDSYNC_LOG_LEVEL=DEBUG|INFO brings the rest back. Must run before the first connection: the
 * Temporal runtime is installed once per process, with the Prometheus endpoint when `telemetry` has one.
 */
export function installQuietTemporalLogging(env: NodeJS.ProcessEnv = process.env, telemetry?: TelemetrySettings): void {
  const level = (env.IDSYNC_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  const base = new DefaultLogger(level);
  // Each role's worker polls only what it registers; the SDK warns about the other half every start.
  const expected = /^No (workflows|activities|Nexus services) registered/;
  TemporalRuntime.install({
    logger: new DefaultLogger(level, (entry) => {
      if (!expected.test(entry.message)) base.log(entry.level, entry.message, entry.meta);
    }),
    ...(telemetry ? { telemetryOptions: temporalTelemetryOptions(telemetry) } : {}),
  });
}

export interface ProcessTelemetry {
  settings: TelemetrySettings;
  /** For startWorkers. */
  worker: WorkerTelemetry;
  /** For connectClient: the process's clients start traces the workflows continue. */
  clientInterceptors?: ClientInterceptors;
  /** Exports the spans still buffered. */
  shutdown(): Promise<void>;
}

/**
 * The Temporal runtime of a worker process with the config's telemetry (metrics endpoint, tracing),
 * instead of installQuietTemporalLogging alone. `serviceName` names the process's spans unless the
 * config names them. Must run before the first connection.
 */
export function installTemporalRuntime(config: IdsyncConfig, serviceName: string, env: NodeJS.ProcessEnv = process.env): ProcessTelemetry {
  const settings = telemetrySettings(config.telemetry, env, serviceName);
  installQuietTemporalLogging(env, settings);
  const tracing = tracingFromSettings(settings);
  const clientInterceptors = tracingClientInterceptors(tracing);
  return {
    settings,
    worker: { tracing, metrics: settings.prometheusBindAddress !== undefined },
    ...(clientInterceptors ? { clientInterceptors } : {}),
    shutdown: async () => void (await tracing?.shutdown()),
  };
}

/** The start-up banner's telemetry part: where metrics are served and where spans go (the URL's origin only). */
export function describeTelemetry(settings: TelemetrySettings): string {
  const parts = [
    settings.prometheusBindAddress && `metrics on http://${settings.prometheusBindAddress}/metrics`,
    settings.otlpEndpoint && `traces to ${new URL(settings.otlpEndpoint).origin}`,
  ].filter(Boolean);
  return parts.length > 0 ? `; ${parts.join(', ')}` : '';
}

export const WORKFLOWS_PATH = require.resolve('../workflows');
/**
 * Written by `npm run build` (workers/build-workflow-bundle.ts) next to the compiled code:
 * dist/workflow-bundle.js, bundled with the failure converter that encrypts failure messages
 * (encryption on is the default). Run from the sources (tsx: tests, benchmarks) there is none.
 */
export const PREBUILT_WORKFLOW_BUNDLE = join(__dirname, '..', 'workflow-bundle.js');
/** The same with the OpenTelemetry workflow interceptors, for workers with tracing on. */
export const PREBUILT_TRACED_WORKFLOW_BUNDLE = join(__dirname, '..', 'workflow-bundle-traced.js');
/** Webpack's progress chatter is not for operators. */
export const quietBundlerLogger = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never;

const bundles = new Map<string, Promise<WorkflowBundleOption>>();

/**
 * The prebuilt bundle when there is one and it carries this failure converter; otherwise bundled
 * once per process, failure converter and tracing (webpack takes seconds). Workflow code builds
 * failures inside the bundle, so the failure converter that encodes their messages must be bundled
 * with it. With `traced`, the OpenTelemetry workflow interceptors are bundled too (their spans go to
 * workflowSinks()); only then: in every workflow they cost enough that a first sync of 2,000 people
 * ran its workflow thread out of memory (bench/first-sync.ts), so a worker without tracing runs none.
 */
export function workflowBundle(failureConverterPath?: string, options: { traced?: boolean } = {}): Promise<WorkflowBundleOption> {
  const traced = options.traced ?? false;
  const key = `${failureConverterPath ?? ''}|${traced ? 'traced' : 'plain'}`;
  const prebuilt = traced ? PREBUILT_TRACED_WORKFLOW_BUNDLE : PREBUILT_WORKFLOW_BUNDLE;
  let bundle = bundles.get(key);
  if (!bundle) {
    bundle =
      failureConverterPath === ENCODED_FAILURE_CONVERTER_PATH && existsSync(prebuilt)
        ? Promise.resolve({ codePath: prebuilt })
        : bundleWorkflowCode({
            workflowsPath: WORKFLOWS_PATH,
            workflowInterceptorModules: traced ? WORKFLOW_INTERCEPTOR_MODULES : [],
            logger: quietBundlerLogger,
            ...(failureConverterPath ? { failureConverterPath } : {}),
          });
    bundles.set(key, bundle);
  }
  return bundle;
}

export async function startWorkers(
  runtime: Runtime,
  opts: {
    connection: NativeConnection;
    namespace: string;
    client: Client;
    roles?: readonly WorkerRole[];
    identity?: string;
    /** From connectWorker: the same codec as `client`. Absent only in tests that run unencrypted. */
    dataConverter?: DataConverter;
    /** Tracing and metrics (workers/telemetry.ts); absent: neither. */
    telemetry?: WorkerTelemetry;
  },
): Promise<RunningWorkers> {
  const roles = new Set(opts.roles ?? ALL_ROLES);
  const provisioning = createProvisioningActivities(runtime, { client: opts.client });
  // Reconciliation: prepare/finish/deliver on the directory queue, page reads and suspensions on each target's queue.
  const reconcile = createReconcileActivities(runtime, { client: opts.client });
  // Directory groups: the target list on the directory queue, each target's group writes on its own queue.
  const groups = createGroupActivities(runtime);
  const workers: Worker[] = [];
  const common = {
    connection: opts.connection,
    namespace: opts.namespace,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
  };
  const bundle = () => workflowBundle(opts.dataConverter?.failureConverterPath, { traced: Boolean(opts.telemetry?.tracing) });
  const telemetry = opts.telemetry;
  const sinks = workflowSinks(telemetry);
  const interceptors = { activity: activityInterceptors(telemetry) };
  let stopReporting = () => {};

  if (roles.has('orchestration')) {
    workers.push(await Worker.create({ ...common, taskQueue: TASK_QUEUES.orchestration, workflowBundle: await bundle(), sinks, interceptors }));
    if (telemetry?.metrics) stopReporting = reportPendingApprovals(opts.client, telemetry.pendingApprovalsIntervalMs);
  }
  if (roles.has('directory')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: TASK_QUEUES.directory,
        activities: { ...provisioning, ...reconcile, ...groups },
        interceptors,
        maxConcurrentActivityTaskExecutions: 8,
      }),
    );
  }
  if (roles.has('watcher')) {
    // Queues and slots of its own, so person runs queued by the thousand never delay a poll. The
    // watcher runs one activity at a time; the second slot lets a retry start while a timed-out
    // attempt is still finishing (the activities serialise their polls within a process).
    workers.push(
      await Worker.create({ ...common, taskQueue: TASK_QUEUES.watcher, workflowBundle: await bundle(), sinks, interceptors, maxConcurrentWorkflowTaskExecutions: 2 }),
      await Worker.create({
        ...common,
        taskQueue: TASK_QUEUES.watcherActivities,
        activities: createDirectoryActivities(runtime, { client: opts.client }),
        interceptors,
        maxConcurrentActivityTaskExecutions: 2,
      }),
    );
  }
  if (roles.has('targets')) {
    for (const [name, target] of Object.entries(runtime.config.targets)) {
      if (!target.enabled) continue;
      workers.push(
        await Worker.create({
          ...common,
          taskQueue: TASK_QUEUES.target(name),
          activities: { ...provisioning, ...reconcile, ...groups },
          interceptors: { activity: activityInterceptors(telemetry, { target: name, target_kind: target.kind }) },
          // Server-side: holds across every worker polling this queue.
          maxTaskQueueActivitiesPerSecond: target.rateLimit.activitiesPerSecond,
          maxConcurrentActivityTaskExecutions: target.rateLimit.maxConcurrent,
        }),
      );
    }
  }
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    taskQueues: workers.map((w) => w.options.taskQueue),
    shutdown: async () => {
      stopReporting();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done.catch(() => undefined);
    },
    done,
  };
}
