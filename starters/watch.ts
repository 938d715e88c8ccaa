/**
 * Starts idsync's event sources: the durable directory watcher workflow (started once, idempotently;
 * it then runs on the workers and survives restarts of this process, the workers and the server) and,
 * when configured, the HTTP intake for push sources.
 *   node --import tsx starters/watch.ts --config idsync.yaml     (docker-compose's idsync-watcher)
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { IdsyncConfig } from '../app/config';
import { resolveWatcherConfig } from '../directory/config';
import { WATCHER_WORKFLOW_ID, WORKFLOW_TYPES } from '../lib/names';
import { GUARD_STATES, SEARCH_ATTRIBUTE_KEYS } from '../lib/search-attributes';
import { EXIT, flag, loadConfigOrExit, onShutdownSignal } from '../app/startup';
import { connectClient } from '../app/temporal-connection';
import { startConfiguredIntake } from './intake-config';

export interface Watching {
  watcherWorkflowId: string;
  intakeUrl?: string;
  stop(): Promise<void>;
}

export async function ensureWatcherRunning(config: IdsyncConfig, client: Client): Promise<void> {
  const settings = resolveWatcherConfig(config.watcher);
  try {
    await client.workflow.start(WORKFLOW_TYPES.directoryWatcher, {
      workflowId: WATCHER_WORKFLOW_ID,
      taskQueue: settings.orchestrationTaskQueue,
      args: [{ activityTaskQueue: settings.directoryTaskQueue }],
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTE_KEYS.guardState, value: GUARD_STATES.clear }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

export async function startWatching(config: IdsyncConfig, client: Client, env: NodeJS.ProcessEnv = process.env): Promise<Watching> {
  await ensureWatcherRunning(config, client);
  if (!config.intake) return { watcherWorkflowId: WATCHER_WORKFLOW_ID, stop: async () => undefined };
  const intake = await startConfiguredIntake(config, config.intake, client, resolveWatcherConfig(config.watcher).orchestrationTaskQueue, env);
  return { watcherWorkflowId: WATCHER_WORKFLOW_ID, intakeUrl: intake.url, stop: () => intake.close() };
}

if (require.main === module) {
  const configPath = flag(process.argv.slice(2), 'config') ?? process.env.IDSYNC_CONFIG;
  if (!configPath) {
    console.error('idsync watch: give --config <file> or set IDSYNC_CONFIG');
    process.exit(EXIT.usage);
  }
  const config = loadConfigOrExit(configPath);
  connectClient(config)
    .then(async (client) => {
      const watching = await startWatching(config, client);
      console.log(`idsync watch: watcher workflow ${watching.watcherWorkflowId} running${watching.intakeUrl ? `; intake on ${watching.intakeUrl}` : ''}`);
      onShutdownSignal(async () => {
        await watching.stop();
        await client.connection.close();
      });
    })
    .catch((err) => {
      console.error(`idsync watch: ${(err as Error).message}`);
      process.exit(EXIT.failure);
    });
}
