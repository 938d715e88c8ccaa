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
  getExternalWorkflowHandle,
  metricMeter,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { TASK_QUEUES, UPDATES } from '../lib/names';
import { SEARCH_ATTRIBUTE_KEYS, type GuardState } from '../lib/search-attributes';
import { idsyncMetrics } from '../lib/metrics';
import type { DirectoryActivities } from '../activities/directory';
import type { AdmissionRequest, AdmissionVerdict, BatchDecision } from '../directory/watch/types';
import { guardDecisionSignal } from './guard-messages';
import { WatcherController, type DecisionAnswer, type DirectoryWatcherInput, type WatcherStatus } from './watcher-controller';

export type { DecisionAnswer, DirectoryWatcherInput, WatcherStatus } from './watcher-controller';

export const approveBatchSignal = defineSignal<[BatchDecision]>('approveBatch');
export const rejectBatchSignal = defineSignal<[BatchDecision]>('rejectBatch');
export const watcherStatusQuery = defineQuery<WatcherStatus>('watcherStatus');
/** The same decision with a synchronous answer (the CLI's `idsync guard approve|reject`). */
export const decideBatchUpdate = defineUpdate<DecisionAnswer, [BatchDecision & { decision: 'approve' | 'reject' }]>('decideBatch');
/** Every other source of deprovisioning asks the mass-change guard this watcher hosts (directory/watch/guard.ts). */
export const admitDeprovisioningUpdate = defineUpdate<AdmissionVerdict, [AdmissionRequest]>(UPDATES.admitDeprovisioning);

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
  setHandler(
    admitDeprovisioningUpdate,
    async (request) => {
      const answerId = watcher.acceptAdmission(request);
      await condition(() => watcher.admissionAnswer(answerId) !== undefined);
      return watcher.admissionAnswer(answerId)!;
    },
    { validator: (request) => watcher.validateAdmission(request) },
  );
  setHandler(watcherStatusQuery, () => watcher.status);

  const metrics = idsyncMetrics(metricMeter);
  /** After every poll, decision and admission: the search attribute when it changed, the gauges always (fresh again one poll after a worker restart). */
  const showGuardState = (changed: GuardState | null) => {
    if (changed) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.guardState, value: changed }]);
    metrics.guardState(watcher.status.pendingBatch);
  };
  /** Until none is left, including decisions and admissions that arrive while earlier ones are being applied. */
  const applyDecisions = async () => {
    for (;;) {
      const request = watcher.nextDecision();
      if (request) {
        const outcome = await activities.decideDirectoryWatcherBatch(request);
        showGuardState(watcher.decisionApplied(request, outcome));
        const notice = { batchId: request.batchId, approved: request.approve, operator: request.operator, comment: request.comment };
        // A requester that has since ended has nothing left to release.
        await Promise.all((outcome.waiters ?? []).map((id) => getExternalWorkflowHandle(id).signal(guardDecisionSignal, notice).catch(() => undefined)));
        continue;
      }
      const admission = watcher.nextAdmission();
      if (!admission) return;
      const { requestId, source, count, what, events, waiter, generation } = admission;
      const input = { requestId, source, count, what, generation, ...(events ? { events } : {}), ...(waiter ? { waiter } : {}) };
      showGuardState(watcher.admissionApplied(admission, await activities.admitToMassChangeGuard(input)));
    }
  };

  do {
    await applyDecisions();
    // Workflow time: when this task started, and after the poll when its completion was recorded.
    const pollStartedAt = Date.now();
    showGuardState(watcher.pollCompleted(await activities.pollDirectoryWatcher(watcher.pollRequest())));
    // Always a timer, whatever its length: replay compares timers by id, so older histories still replay.
    await condition(() => watcher.hasQueuedWork(), watcher.pauseAfterPoll(Date.now() - pollStartedAt));
  } while (!watcher.runIsOver(workflowInfo().continueAsNewSuggested));
  // Decisions that arrived at the very end are applied here, not handed to the next run, which
  // starts with an empty list. One that arrives in the same moment as the hand-over makes the server
  // refuse the continue-as-new and replay this code with it, so it lands in this loop too.
  // An update handler waits for its answer, so the work it queued must be applied before the run can finish.
  for (;;) {
    await applyDecisions();
    await condition(() => watcher.hasQueuedWork() || allHandlersFinished());
    if (!watcher.hasQueuedWork()) break;
  }
  await continueAsNew<typeof directoryWatcherWorkflow>(watcher.continueAsNewInput());
}
