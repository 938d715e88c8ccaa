/**
 * What a worker process adds for metrics and tracing: the activity interceptors (a target's
 * operations, errors and rate-limit answers counted in one place; OpenTelemetry activity spans), the
 * workflow span sink, and the pending-approvals gauge. Definitions of idsync's metrics: lib/metrics.ts;
 * settings: app/telemetry.ts; the tracer: app/tracing.ts.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { Runtime as TemporalRuntime, type ActivityExecuteInput, type ActivityInboundCallsInterceptor, type ActivityInterceptorsFactory, type InjectedSinks, type Next } from '@temporalio/worker';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, type OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import { idsyncMetrics, RATE_LIMITED_ERROR_TYPE } from '../lib/metrics';
import { SEARCH_ATTRIBUTE_KEYS } from '../lib/search-attributes';
import type { Tracing } from '../app/tracing';

/** What startWorkers switches on; absent: no tracing, no pending-approvals polling. */
export interface WorkerTelemetry {
  tracing?: Tracing | null;
  /** The Prometheus endpoint is on (the process installed the Temporal runtime with it). */
  metrics?: boolean;
  /** How often idsync_approvals_pending is counted; default PENDING_APPROVALS_INTERVAL_MS (tests: shorter). */
  pendingApprovalsIntervalMs?: number;
}

/** The OpenTelemetry workflow interceptors; bundled only for workers with tracing on (workflowBundle's `traced`). */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

/** A target's identity as labels: its configured name and its kind, nothing about the person. */
export interface TargetLabels {
  target: string;
  target_kind: string;
}

function errorClass(err: unknown): { error_class: string; retryable: string } {
  if (err instanceof ApplicationFailure) return { error_class: err.type ?? 'ApplicationFailure', retryable: String(!err.nonRetryable) };
  if (err instanceof CancelledFailure) return { error_class: 'Cancelled', retryable: 'false' };
  return { error_class: err instanceof Error ? err.name : 'Unknown', retryable: 'true' };
}

/** Counts every attempt on a target's queue, its failure by class, and the target's rate-limit answers. */
class TargetOperationMetrics implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: ActivityContext,
    private readonly target: TargetLabels,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const metrics = idsyncMetrics(this.ctx.metricMeter);
    const labels = { ...this.target, operation: this.ctx.info.activityType };
    metrics.targetOperation(labels);
    try {
      return await next(input);
    } catch (err) {
      const cls = errorClass(err);
      metrics.targetError({ ...labels, ...cls });
      if (cls.error_class === RATE_LIMITED_ERROR_TYPE) metrics.targetRateLimited(labels);
      throw err;
    }
  }
}

/**
 * Activity interceptors for one worker: the tracing span (outermost, so the metrics' time is inside
 * it) and, on a target's queue, the operation metrics.
 */
export function activityInterceptors(telemetry: WorkerTelemetry | undefined, target?: TargetLabels): ActivityInterceptorsFactory[] {
  const factories: ActivityInterceptorsFactory[] = [];
  const tracer = telemetry?.tracing?.tracer;
  if (tracer) {
    factories.push((ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }));
  }
  if (target) factories.push((ctx) => ({ inbound: new TargetOperationMetrics(ctx, target) }));
  return factories;
}

/**
 * The sink the workflow interceptors export their spans to. Injected wherever workflows run, so a
 * replay or a worker given a traced bundle never lacks it; without tracing the spans are dropped here.
 */
export function workflowSinks(telemetry: WorkerTelemetry | undefined): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  const tracing = telemetry?.tracing;
  return { exporter: makeWorkflowExporter(tracing?.spanProcessor ?? new NoopSpanProcessor(), tracing?.resource ?? Resource.empty()) };
}

const PENDING_APPROVALS_QUERY = `${SEARCH_ATTRIBUTE_KEYS.approvalState.name} = "pending" AND ExecutionStatus = "Running"`;
export const PENDING_APPROVALS_INTERVAL_MS = 15_000;

/**
 * idsync_approvals_pending from Temporal's visibility, where the runs' IdsyncApprovalState lives:
 * right after any worker restart, unlike a count kept by workflows. Returns the stop function.
 */
export function reportPendingApprovals(client: Client, intervalMs = PENDING_APPROVALS_INTERVAL_MS): () => void {
  const metrics = idsyncMetrics(TemporalRuntime.instance().metricMeter);
  let stopped = false;
  const report = async () => {
    try {
      const { count } = await client.workflow.count(PENDING_APPROVALS_QUERY);
      if (!stopped) metrics.approvalsPending(count);
    } catch {
      // Temporal unreachable for a moment: the gauge keeps its last value, the next round tries again.
    }
  };
  void report();
  const timer = setInterval(() => void report(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
