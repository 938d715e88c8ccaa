/**
 * Starts idsync's event sources: the durable directory watcher workflow (started once, idempotently;
 * it then runs on the workers and survives restarts of this process, the workers and the server) and,
 * when configured, the HTTP intake for push sources.
 *   node --import tsx starters/watch.ts --config idsync.yaml     (docker-compose's idsync-watcher)
 * Run this way, the process also runs the watcher's workers (role 'watcher': its own workflow and
 * activity queues), since it is the one process that owns the watcher's state directory, and brings
 * the reconciliation Schedule in line with the config (created, updated or removed), as `npm start`
 * does: in production this is the one process per deployment, so the Schedule has one owner.
 */
import { hostname } from 'node:os';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { IdsyncConfig } from '../app/config';
import { RECONCILE_SCHEDULE_ID, TASK_QUEUES, WATCHER_WORKFLOW_ID, WORKFLOW_TYPES } from '../lib/names';
import { GUARD_STATES, SEARCH_ATTRIBUTE_KEYS } from '../lib/search-attributes';
import { EXIT, flag, loadConfigOrExit, onShutdownSignal } from '../app/startup';
import { connectClient, connectWorker } from '../app/temporal-connection';
import { EncryptionSetupError } from '../app/encryption';
import { buildRuntime, closeRuntime } from '../app/build-runtime';
import { describeTelemetry, installTemporalRuntime, startWorkers, type WorkerRole } from '../workers/workers';
import { startConfiguredIntake } from './intake-config';
import { startConfiguredScim } from './scim-endpoint';
import { ensureReconcileSchedule } from './reconcile-schedule';

/** What this process runs when started on its own: the one owner of the watcher's state directory. */
export const WATCHER_PROCESS_ROLES: readonly WorkerRole[] = ['watcher'];

export interface Watching {
  watcherWorkflowId: string;
  intakeUrl?: string;
  /** The inbound SCIM endpoint's base URL, when configured. */
  scimUrl?: string;
  stop(): Promise<void>;
}

/**
 * Starts the watcher on its own queues (never the orchestration queue, where person runs pile up).
 * A watcher started by an idsync from before those queues keeps the shared ones across
 * continue-as-new and stalls, since no worker runs its activities there any more: it is named here.
 */
export async function ensureWatcherRunning(client: Client): Promise<void> {
  try {
    await client.workflow.start(WORKFLOW_TYPES.directoryWatcher, {
      workflowId: WATCHER_WORKFLOW_ID,
      taskQueue: TASK_QUEUES.watcher,
      args: [{ activityTaskQueue: TASK_QUEUES.watcherActivities }],
      staticSummary: 'Directory watcher · polls the directory, delivers identity events, hosts the mass-change guard',
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTE_KEYS.guardState, value: GUARD_STATES.clear }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await client.workflow.getHandle(WATCHER_WORKFLOW_ID).describe();
    if (running.taskQueue !== TASK_QUEUES.watcher) {
      console.warn(
        `idsync watch: the running watcher ${WATCHER_WORKFLOW_ID} was started on task queue ${running.taskQueue} by an older idsync and will not poll. ` +
          `Terminate it once (temporal workflow terminate --workflow-id ${WATCHER_WORKFLOW_ID}) and start again: ` +
          'its cursor and snapshot are in the watcher state directory, not in the workflow.',
      );
    }
  }
}

export async function startWatching(config: IdsyncConfig, client: Client, env: NodeJS.ProcessEnv = process.env): Promise<Watching> {
  await ensureWatcherRunning(client);
  const orchestrationTaskQueue = TASK_QUEUES.orchestration;
  // This process owns the SCIM store (directory.kind scim or intake.scim), like the watcher's state.
  const scim = await startConfiguredScim(config, { client, orchestrationTaskQueue }, env);
  const scimFields = scim ? { scimUrl: scim.url } : {};
  if (!config.intake) return { watcherWorkflowId: WATCHER_WORKFLOW_ID, ...scimFields, stop: async () => void (await scim?.close()) };
  const intake = await startConfiguredIntake(config, config.intake, client, orchestrationTaskQueue, env).catch(async (err: unknown) => {
    await scim?.close();
    throw err;
  });
  return {
    watcherWorkflowId: WATCHER_WORKFLOW_ID,
    intakeUrl: intake.url,
    ...scimFields,
    stop: async () => {
      await intake.close();
      await scim?.close();
    },
  };
}

if (require.main === module) {
  const configPath = flag(process.argv.slice(2), 'config') ?? process.env.IDSYNC_CONFIG;
  if (!configPath) {
    console.error('idsync watch: give --config <file> or set IDSYNC_CONFIG');
    process.exit(EXIT.usage);
  }
  const config = loadConfigOrExit(configPath);
  const telemetry = installTemporalRuntime(config, 'idsync-watcher');
  connectClient(config, process.env, telemetry.clientInterceptors)
    .then(async (client) => {
      const runtime = buildRuntime(config);
      const { connection, namespace, dataConverter } = await connectWorker(config);
      const workers = await startWorkers(runtime, {
        connection,
        namespace,
        dataConverter,
        client,
        roles: WATCHER_PROCESS_ROLES,
        identity: `idsync-watcher@${hostname()}:${process.pid}`,
        telemetry: telemetry.worker,
      });
      const watching = await startWatching(config, client);
      const schedule = await ensureReconcileSchedule(client, config);
      console.log(
        `idsync watch: watcher workflow ${watching.watcherWorkflowId} running on ${workers.taskQueues.join(', ')}${watching.intakeUrl ? `; intake on ${watching.intakeUrl}` : ''}${watching.scimUrl ? `; SCIM on ${watching.scimUrl}` : ''}; ` +
          `reconciliation schedule ${RECONCILE_SCHEDULE_ID} ${schedule}${describeTelemetry(telemetry.settings)}`,
      );
      onShutdownSignal(async () => {
        await watching.stop();
        await workers.shutdown();
        await telemetry.shutdown();
        await closeRuntime(runtime);
        await connection.close();
        await client.connection.close();
      });
      await workers.done;
    })
    .catch((err) => {
      console.error(`idsync watch: ${(err as Error).message}`);
      process.exit(err instanceof EncryptionSetupError ? EXIT.usage : EXIT.failure);
    });
}
