/**
 * The durable directory poller. Deterministic and thin: every directory read, classification,
 * delivery and state write happens in activities; history only carries a generation number and
 * small summaries, so a 100,000-person snapshot never touches it.
 */
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { TASK_QUEUES } from '../lib/names';
import type { DirectoryActivities } from '../activities/directory';
import type { BatchDecision, PendingSummary, PollOutcome } from '../directory/watch/types';

export interface DirectoryWatcherInput {
  /** State generation to resume from; absent: the newest on disk. */
  generation?: number | null;
  /** Where the directory activities run (default: the directory task queue). */
  activityTaskQueue?: string;
  /** Carried over continue-as-new so status survives it. */
  lastPollAt?: string | null;
  cursorAdvancedAt?: string | null;
}

export interface WatcherStatus {
  generation: number | null;
  lastPollAt: string | null;
  cursorAdvancedAt: string | null;
  /** Milliseconds since the cursor last moved, as of the last poll. */
  cursorAgeMs: number | null;
  people: number;
  pendingBatch: PendingSummary | null;
  decisions: { batchId: string; approved: boolean; operator: string; at: string }[];
}

export const approveBatchSignal = defineSignal<[BatchDecision]>('approveBatch');
export const rejectBatchSignal = defineSignal<[BatchDecision]>('rejectBatch');
export const watcherStatusQuery = defineQuery<WatcherStatus>('watcherStatus');

const GUARD_STATE = defineSearchAttributeKey('IdsyncGuardState', SearchAttributeType.KEYWORD);
const GUARD_AWAITING = 'awaiting-approval';
const GUARD_CLEAR = 'clear';

export async function directoryWatcherWorkflow(input: DirectoryWatcherInput = {}): Promise<void> {
  const activities = proxyActivities<DirectoryActivities>({
    taskQueue: input.activityTaskQueue ?? TASK_QUEUES.directory,
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
  });
  let generation: number | null = input.generation ?? null;
  const decisions: (BatchDecision & { approve: boolean })[] = [];
  const status: WatcherStatus = {
    generation,
    lastPollAt: input.lastPollAt ?? null,
    cursorAdvancedAt: input.cursorAdvancedAt ?? null,
    cursorAgeMs: null,
    people: 0,
    pendingBatch: null,
    decisions: [],
  };
  const accept = (approve: boolean) => (decision: BatchDecision) => {
    if (typeof decision?.operator !== 'string' || decision.operator.trim() === '') return; // anonymous decisions are ignored
    decisions.push({ ...decision, comment: String(decision.comment ?? ''), approve });
  };
  setHandler(approveBatchSignal, accept(true));
  setHandler(rejectBatchSignal, accept(false));
  setHandler(watcherStatusQuery, () => status);

  let guardState: string | null = null;
  const record = (outcome: PollOutcome) => {
    generation = outcome.generation;
    status.generation = outcome.generation;
    status.lastPollAt = outcome.lastPollAt;
    status.cursorAdvancedAt = outcome.cursorAdvancedAt;
    status.cursorAgeMs = outcome.cursorAdvancedAt ? Date.parse(outcome.lastPollAt) - Date.parse(outcome.cursorAdvancedAt) : null;
    status.people = outcome.people;
    status.pendingBatch = outcome.pending;
    const wanted = outcome.pending ? GUARD_AWAITING : GUARD_CLEAR;
    if (wanted !== guardState) {
      upsertSearchAttributes([{ key: GUARD_STATE, value: wanted }]);
      guardState = wanted;
    }
  };

  /** Until none is left, including decisions that arrive while earlier ones are being applied. */
  const applyDecisions = async () => {
    while (decisions.length > 0) {
      const decision = decisions.shift()!;
      const batchId = decision.batchId ?? status.pendingBatch?.batchId;
      if (!batchId) continue;
      const outcome = await activities.decideDirectoryWatcherBatch({ ...decision, batchId, generation });
      status.decisions.push({ batchId, approved: decision.approve, operator: decision.operator, at: outcome.lastPollAt });
      record(outcome);
    }
  };

  let pollIntervalMs = 2000;
  let pollsPerRun = 200;
  for (let polls = 0; polls < pollsPerRun; polls++) {
    await applyDecisions();
    const outcome = await activities.pollDirectoryWatcher({ generation });
    record(outcome);
    pollIntervalMs = outcome.pollIntervalMs;
    pollsPerRun = outcome.pollsPerRun;
    await condition(() => decisions.length > 0, pollIntervalMs);
    if (workflowInfo().continueAsNewSuggested) break;
  }
  // Decisions that arrived at the very end are applied here, not handed to the next run, which
  // starts with an empty list. One that arrives in the same moment as the hand-over makes the server
  // refuse the continue-as-new and replay this code with it, so it lands in this loop too.
  await applyDecisions();
  await continueAsNew<typeof directoryWatcherWorkflow>({
    generation,
    activityTaskQueue: input.activityTaskQueue,
    lastPollAt: status.lastPollAt,
    cursorAdvancedAt: status.cursorAdvancedAt,
  });
}
