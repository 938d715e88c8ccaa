/**
 * idsync's own Prometheus metrics, defined once: name, help, labels. They are created on the Temporal
 * SDK's meter (the workflow's `metricMeter`, an activity's `Context.metricMeter`, the worker
 * runtime's meter), so they are served by the same endpoint as the SDK's own metrics
 * (`telemetry.metrics.prometheus.bindAddress`, app/telemetry.ts). Imports only types, so workflow
 * code can use it inside the deterministic sandbox; workflow metrics are not emitted on replay.
 *
 * Labels carry identifiers fixed by configuration or code only (target names, target kinds, event
 * kinds, activity types, error classes, outcomes, situations), never a person's anchor, name or
 * e-mail: a label value is a new series, and series are kept and shown to anyone who can open Grafana.
 * The SDK adds its context's tags: namespace, taskQueue, and workflowType or activityType.
 */
import type { MetricMeter, MetricTags } from '@temporalio/common';

interface MetricDefinition {
  name: string;
  kind: 'counter' | 'gauge';
  help: string;
  labels: readonly string[];
}

export const IDSYNC_METRICS = {
  identityEvents: {
    name: 'idsync_identity_events_total',
    kind: 'counter',
    help: 'Identity events a person workflow received, by kind, source and whether it was new or a duplicate',
    labels: ['kind', 'source', 'disposition'],
  },
  runs: {
    name: 'idsync_runs_total',
    kind: 'counter',
    help: 'Finished joiner/mover/leaver/rehire/sync runs, by kind and outcome (converged, partial, failed, conflict)',
    labels: ['kind', 'outcome'],
  },
  targetOperations: {
    name: 'idsync_target_operations_total',
    kind: 'counter',
    help: "Activity attempts on a target's task queue (reads and writes against the target), by target and operation",
    labels: ['target', 'target_kind', 'operation'],
  },
  targetErrors: {
    name: 'idsync_target_errors_total',
    kind: 'counter',
    help: "Failed activity attempts on a target's task queue, by target, operation, error class and whether it is retried",
    labels: ['target', 'target_kind', 'operation', 'error_class', 'retryable'],
  },
  targetRateLimited: {
    name: 'idsync_target_rate_limited_total',
    kind: 'counter',
    help: "Attempts a target refused with its rate-limit answer (HTTP 429, Salesforce REQUEST_LIMIT_EXCEEDED), by target",
    labels: ['target', 'target_kind', 'operation'],
  },
  approvalRequests: {
    name: 'idsync_approval_requests_total',
    kind: 'counter',
    help: 'Runs that held privileged grants for an approval',
    labels: [],
  },
  approvalOutcomes: {
    name: 'idsync_approval_outcomes_total',
    kind: 'counter',
    help: 'How approval requests ended: approved, rejected, expired or superseded',
    labels: ['outcome'],
  },
  approvalsPending: {
    name: 'idsync_approvals_pending',
    kind: 'gauge',
    help: "Runs waiting for an approval now (IdsyncApprovalState = pending in Temporal's visibility); every orchestration worker reports the same count: use max()",
    labels: [],
  },
  guardHeld: {
    name: 'idsync_guard_held',
    kind: 'gauge',
    help: "Deprovisionings held in the mass-change guard's batch (0 when nothing is held), set at every watcher poll and decision",
    labels: [],
  },
  guardAwaitingApproval: {
    name: 'idsync_guard_awaiting_approval',
    kind: 'gauge',
    help: "1 while the mass-change guard holds a batch for an operator's decision, else 0",
    labels: [],
  },
  reconcileAccounts: {
    name: 'idsync_reconcile_accounts_total',
    kind: 'counter',
    help: 'Accounts reconciliation runs classified, by target and situation (inSync, drifted, unlinked, orphan, goneActive, ...)',
    labels: ['target', 'situation'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type IdsyncMetricName = (typeof IDSYNC_METRICS)[keyof typeof IDSYNC_METRICS]['name'];

type LabelsOf<K extends keyof typeof IDSYNC_METRICS> = Record<(typeof IDSYNC_METRICS)[K]['labels'][number], string>;

function counter<K extends keyof typeof IDSYNC_METRICS>(meter: MetricMeter, key: K, labels: LabelsOf<K>, value = 1): void {
  const def = IDSYNC_METRICS[key];
  meter.createCounter(def.name, undefined, def.help).add(value, labels as MetricTags);
}

function gauge<K extends keyof typeof IDSYNC_METRICS>(meter: MetricMeter, key: K, labels: LabelsOf<K>, value: number): void {
  const def = IDSYNC_METRICS[key];
  meter.createGauge(def.name, 'int', undefined, def.help).set(value, labels as MetricTags);
}

/** The one place each metric is recorded from: typed by its labels, so a call cannot add a label the definition lacks. */
export function idsyncMetrics(meter: MetricMeter) {
  return {
    identityEvent: (labels: LabelsOf<'identityEvents'>) => counter(meter, 'identityEvents', labels),
    runFinished: (labels: LabelsOf<'runs'>) => counter(meter, 'runs', labels),
    targetOperation: (labels: LabelsOf<'targetOperations'>) => counter(meter, 'targetOperations', labels),
    targetError: (labels: LabelsOf<'targetErrors'>) => counter(meter, 'targetErrors', labels),
    targetRateLimited: (labels: LabelsOf<'targetRateLimited'>) => counter(meter, 'targetRateLimited', labels),
    approvalRequested: () => counter(meter, 'approvalRequests', {}),
    approvalEnded: (outcome: string) => counter(meter, 'approvalOutcomes', { outcome }),
    approvalsPending: (count: number) => gauge(meter, 'approvalsPending', {}, count),
    /** `pending`: the guard's held batch (its `leavers` count everything held), null when none is. */
    guardState: (pending: { leavers: number } | null) => {
      gauge(meter, 'guardHeld', {}, pending?.leavers ?? 0);
      gauge(meter, 'guardAwaitingApproval', {}, pending ? 1 : 0);
    },
    reconcileSituations: (target: string, situations: Partial<Record<string, number>>) => {
      for (const [situation, count] of Object.entries(situations)) if (count) counter(meter, 'reconcileAccounts', { target, situation }, count);
    },
  };
}

export type IdsyncMetrics = ReturnType<typeof idsyncMetrics>;

/** The ApplicationFailure type idsync's target code gives a rate-limit answer (the errors.ts of each target folder). */
export const RATE_LIMITED_ERROR_TYPE = 'RateLimited';

/**
 * The Temporal SDK's own metrics the Grafana dashboard (deploy/grafana/dashboards/idsync.json) reads,
 * by their Prometheus names (histograms without _bucket/_count/_sum; latencies in milliseconds).
 * test/deploy/compose.test.ts checks the dashboard uses no other name; test/telemetry checks a
 * real worker's endpoint serves each of them.
 */
export const SDK_METRICS_ON_DASHBOARD = [
  'temporal_workflow_completed',
  'temporal_activity_execution_failed',
  'temporal_activity_execution_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_worker_task_slots_used',
] as const;
