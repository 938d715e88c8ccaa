/**
 * The durable directory poller. Deterministic and thin: every directory read, classification,
 * delivery and state write happens in activities, every decision in WatcherController; history only
 * carries a generation number and small summaries, so a 100,000-person snapshot never touches it.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { TASK_QUEUES } from '../lib/names';
import { SEARCH_ATTRIBUTE_KEYS, type GuardState } from '../lib/search-attributes';
import type { DirectoryActivities } from '../activities/directory';
import type { BatchDecision } from '../directory/watch/types';
import { WatcherController, type DecisionAnswer, type DirectoryWatcherInput, type WatcherStatus } from './watcher-controller';

export type { DecisionAnswer, DirectoryWatcherInput, WatcherStatus } from './watcher-controller';

export const approveBatchSignal = defineSignal<[BatchDecision]>('approveBatch');
export const rejectBatchSignal = defineSignal<[BatchDecision]>('rejectBatch');
export const watcherStatusQuery = defineQuery<WatcherStatus>('watcherStatus');
/** The same decision with a synchronous answer (the CLI's `idsync guard approve|reject`). */
export const decideBatchUpdate = defineUpdate<DecisionAnswer, [BatchDecision & { decision: 'approve' | 'reject' }]>('decideBatch');

export async function directoryWatcherWorkflow(input: DirectoryWatcherInput = {}): Promise<void> {
  const activities = proxyActivities<DirectoryActivities>({
    taskQueue: input.activityTaskQueue ?? TASK_QUEUES.watcherActivities,
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
  });
  const watcher = new WatcherController(input);
  setHandler(approveBatchSignal, (decision) => void watcher.acceptDecision(decision, true));
  setHandler(rejectBatchSignal, (decision) => void watcher.acceptDecision(decision, false));
  setHandler(
    decideBatchUpdate,
    async ({ decision, ...rest }) => {
      const requestId = watcher.acceptDecision(rest, decision === 'approve', true)!;
      await condition(() => watcher.answerFor(requestId) !== undefined);
      return watcher.answerFor(requestId)!;
    },
    { validator: (request) => watcher.validateDecision(request) },
  );
  setHandler(watcherStatusQuery, () => watcher.status);

  const showGuardState = (changed: GuardState | null) => {
    if (changed) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.guardState, value: changed }]);
  };
  /** Until none is left, including decisions that arrive while earlier ones are being applied. */
  const applyDecisions = async () => {
    for (let request = watcher.nextDecision(); request; request = watcher.nextDecision()) {
      showGuardState(watcher.decisionApplied(request, await activities.decideDirectoryWatcherBatch(request)));
    }
  };

  do {
    await applyDecisions();
    showGuardState(watcher.pollCompleted(await activities.pollDirectoryWatcher(watcher.pollRequest())));
    await condition(() => watcher.hasQueuedDecisions(), watcher.pollIntervalMs);
  } while (!watcher.runIsOver(workflowInfo().continueAsNewSuggested));
  // Decisions that arrived at the very end are applied here, not handed to the next run, which
  // starts with an empty list. One that arrives in the same moment as the hand-over makes the server
  // refuse the continue-as-new and replay this code with it, so it lands in this loop too.
  await applyDecisions();
  await condition(allHandlersFinished);
  await continueAsNew<typeof directoryWatcherWorkflow>(watcher.continueAsNewInput());
}
