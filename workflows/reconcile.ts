/**
 * One reconciliation run: read every account of every (chosen) target page by page on the target's
 * own task queue, classify each against the directory and policy, write the report, and (with
 * `apply`) react: corrections go to the person workflows as `sync` / `leaver` events, suspensions of
 * accounts no person owns go through the target adapter. Before it applies anything, the run asks
 * the one mass-change guard (hosted by the directory watcher); held, it waits for the guard's
 * decision signal, which only an operator's approval or rejection there sends.
 * History holds counts only; rows and plans live in the run's files (activities/reconcile-files.ts).
 */
import { condition, defineQuery, metricMeter, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTE_KEYS } from '../lib/search-attributes';
import { TASK_QUEUES } from '../lib/names';
import { idsyncMetrics } from '../lib/metrics';
import type { ReconcileActivities, TargetSummary } from '../activities/reconcile';
import type { ProvisioningActivities } from '../activities/provisioning';
import type { BatchDecision, GuardDecisionNotice } from '../directory/watch/types';
import { guardDecisionSignal } from './guard-messages';
import { approveBatchSignal, rejectBatchSignal } from './directory-watcher';
import { ACTIVITY_RETRY } from './person-activities';

export interface ReconcileOptions {
  /** Defaults: idsync's fixed queue names (tests use their own). */
  directoryQueue?: string;
  targetQueuePrefix?: string;
  /** Where person workflows run: corrections start or signal them there. */
  orchestrationQueue?: string;
  /** The workflow hosting the mass-change guard (default: the directory watcher). */
  guardWorkflowId?: string;
}

export interface ReconcileInput {
  /** Only these targets; absent or empty: every enabled target. */
  targets?: string[];
  /** Without it the run only reports. */
  apply: boolean;
  trigger?: 'schedule' | 'cli' | string;
  options?: ReconcileOptions;
}

export type ReconcilePhase = 'reading' | 'reporting' | 'awaiting-approval' | 'applying' | 'done';

export interface GuardDecision {
  approved: boolean;
  operator: string;
  comment: string;
}

export interface ReconcileSummary {
  runKey: string;
  asOf: string;
  apply: boolean;
  trigger: string;
  people: number;
  targets: Record<string, TargetSummary>;
  reportJson?: string;
  reportCsv?: string;
  /** Person events and direct suspensions the reactions call for (applied only when `applied`). */
  events: number;
  suspensions: Record<string, number>;
  applied: boolean;
  held?: { reason: string; batchId?: string; decision?: GuardDecision };
  suspended: number;
}

export interface ReconcileStatus {
  phase: ReconcilePhase;
  /** Accounts read so far, per target. */
  read: Record<string, number>;
  summary?: ReconcileSummary;
  holdReason?: string;
}

export const reconcileStatusQuery = defineQuery<ReconcileStatus>('reconcileStatus');

const GUARD_STATE = SEARCH_ATTRIBUTE_KEYS.guardState;

const retry = ACTIVITY_RETRY;
/** Runs started before reconciliation asked the one mass-change guard held on their own (their histories still replay). */
const ASKS_THE_GUARD = 'reconcile-asks-mass-change-guard';

export async function reconcileWorkflow(input: ReconcileInput): Promise<ReconcileSummary> {
  const options = input.options ?? {};
  const directoryQueue = options.directoryQueue ?? TASK_QUEUES.directory;
  const directory = proxyActivities<ReconcileActivities>({ taskQueue: directoryQueue, startToCloseTimeout: '30m', heartbeatTimeout: '30s', retry });
  const audit = proxyActivities<ProvisioningActivities>({ taskQueue: directoryQueue, startToCloseTimeout: '1m', retry }).recordAudit;
  const targetQueue = (target: string) => (options.targetQueuePrefix ? `${options.targetQueuePrefix}${target}` : TASK_QUEUES.target(target));
  const onTarget = (target: string) => proxyActivities<ReconcileActivities>({ taskQueue: targetQueue(target), startToCloseTimeout: '5m', retry });

  const { workflowId } = workflowInfo();
  const runKey = workflowId;
  const asOf = new Date().toISOString();
  const trigger = input.trigger ?? 'cli';
  const status: ReconcileStatus = { phase: 'reading', read: {} };
  let decision: GuardDecision | undefined;
  const decide = (approved: boolean) => (d: BatchDecision) => {
    if (typeof d?.operator !== 'string' || d.operator.trim() === '' || decision || status.phase !== 'awaiting-approval') return;
    decision = { approved, operator: d.operator.trim(), comment: String(d.comment ?? '') };
  };
  let notice: GuardDecisionNotice | undefined;
  setHandler(reconcileStatusQuery, () => status);
  setHandler(approveBatchSignal, decide(true));
  setHandler(rejectBatchSignal, decide(false));
  setHandler(guardDecisionSignal, (n) => {
    notice = n;
  });

  /** The hold of runs from before the one guard: decided by this run's own signals (replay only). */
  async function legacyHold(holdReason: string): Promise<boolean> {
    let go = true;
    status.phase = 'awaiting-approval';
    status.holdReason = holdReason;
    summary.held = { reason: holdReason };
    upsertSearchAttributes([{ key: GUARD_STATE, value: 'awaiting-approval' }]);
    await audit({ actor: 'idsync', action: 'guard-hold', rule: 'mass-change-guard', reason: `reconciliation ${runKey}: ${holdReason}`, after: { events: finished.events, suspensions: finished.suspensions } });
    await condition(() => decision !== undefined);
    const made = decision!;
    summary.held.decision = made;
    go = made.approved;
    upsertSearchAttributes([{ key: GUARD_STATE, value: made.approved ? 'approved' : 'rejected' }]);
    await audit({
      actor: made.operator,
      action: made.approved ? 'guard-approve' : 'guard-reject',
      rule: 'mass-change-guard',
      reason: [`reconciliation ${runKey}: ${holdReason}`, made.comment && `comment: ${made.comment}`].filter(Boolean).join('; '),
    });
    return go;
  }

  const prepared = await directory.prepareReconcile({ runKey, asOf, targets: input.targets });
  await Promise.all(
    prepared.targets.map(async (target) => {
      status.read[target] = 0;
      const activities = onTarget(target);
      for (let page = 0; ; page++) {
        const result = await activities.readAccountPage({ runKey, target, page, pageSize: prepared.pageSize });
        status.read[target] += result.accounts;
        if (result.done) return;
      }
    }),
  );

  status.phase = 'reporting';
  const finished = await directory.finishReconcile({ runKey, asOf, targets: prepared.targets, apply: input.apply, people: prepared.people, trigger });
  const metrics = idsyncMetrics(metricMeter);
  for (const [target, counted] of Object.entries(finished.targets)) metrics.reconcileSituations(target, counted.situations);
  const summary: ReconcileSummary = {
    runKey,
    asOf,
    apply: input.apply,
    trigger,
    people: prepared.people,
    targets: finished.targets,
    reportJson: finished.reportJson,
    reportCsv: finished.reportCsv,
    events: finished.events,
    suspensions: finished.suspensions,
    applied: false,
    suspended: 0,
  };
  const suspensionCount = Object.values(finished.suspensions).reduce((a, b) => a + b, 0);

  if (input.apply && (finished.events > 0 || suspensionCount > 0)) {
    let go = true;
    if (patched(ASKS_THE_GUARD)) {
      const verdict = await directory.admitReconcileCorrections({ runKey, count: finished.changedSubjects, waiter: workflowId, guardWorkflowId: options.guardWorkflowId });
      if (verdict.unavailable) {
        go = false;
        summary.held = { reason: verdict.unavailable };
      } else if (!verdict.admitted) {
        status.phase = 'awaiting-approval';
        status.holdReason = verdict.reason;
        summary.held = { reason: verdict.reason ?? 'held by the mass-change guard', batchId: verdict.batchId };
        upsertSearchAttributes([{ key: GUARD_STATE, value: 'awaiting-approval' }]);
        await condition(() => notice?.batchId === verdict.batchId);
        summary.held.decision = { approved: notice!.approved, operator: notice!.operator, comment: notice!.comment };
        go = notice!.approved;
        upsertSearchAttributes([{ key: GUARD_STATE, value: go ? 'approved' : 'rejected' }]);
      }
    } else if (finished.holdReason) {
      go = await legacyHold(finished.holdReason);
    }
    if (go) {
      status.phase = 'applying';
      await directory.deliverReconcileEvents({ runKey, orchestrationQueue: options.orchestrationQueue ?? TASK_QUEUES.orchestration });
      await Promise.all(
        Object.entries(finished.suspensions).map(async ([target, count]) => {
          const activities = onTarget(target);
          for (let index = 0; index < count; index++) summary.suspended += (await activities.suspendReconciledAccount({ runKey, target, index })) > 0 ? 1 : 0;
        }),
      );
      summary.applied = true;
    }
  }
  await audit({
    actor: 'idsync',
    action: 'reconcile-finished',
    after: { targets: summary.targets, events: summary.events, suspensions: summary.suspensions, applied: summary.applied, suspended: summary.suspended },
    reason: `reconciliation ${runKey} (${trigger})${summary.held ? `: held, ${summary.held.decision?.approved ? 'approved' : 'rejected'} by ${summary.held.decision?.operator}` : ''}`,
  });
  await directory.cleanUpReconcile({ runKey });
  status.phase = 'done';
  status.summary = summary;
  return summary;
}
