/**
 * Metrics and traces of one real joiner, through idsync's production workers (workers/workers.ts
 * startWorkers) with the Prometheus endpoint on and tracing into an in-memory exporter: the SCIM
 * target answers the run's first request with 429, which the activity retries. The scrape must show
 * the SDK's metrics and idsync's counters with the right values and labels, the spans must form one
 * linked trace, and neither may carry the person's username, name or e-mail. The histories of the
 * run and the recorded ones (written without the OpenTelemetry interceptors) replay with the
 * production bundle, interceptors included. Then an approval, a reconciliation run and the
 * mass-change guard (the watcher started last) move their metrics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { personWorkflowId, SIGNALS, TASK_QUEUES, WATCHER_WORKFLOW_ID, WORKFLOW_TYPES } from '../../lib/names';
import { ensureWatcherRunning } from '../../starters/watch';
import { IDSYNC_METRICS, SDK_METRICS_ON_DASHBOARD } from '../../lib/metrics';
import { decideApprovalUpdate, personStatusQuery } from '../../workflows/person-messages';
import type { PersonStatus } from '../../workflows/person-types';
import type { ReconcileSummary } from '../../workflows/reconcile';
import { workflowBundle } from '../../workers/workers';
import { workflowSinks } from '../../workers/telemetry';
import { historyFromStoredJson } from '../histories/history-files';
import { pollUntil } from '../support/poll';
import { uniqueId } from '../support/env';
import { scrape, startTelemetryStack, total, type TelemetryStack } from './support';

const USERNAME = 'tnowak';
const NAME = 'Teresa Nowak';
const EMAIL = 'teresa.nowak@example.com';
const PERSONAL = [USERNAME, NAME, EMAIL, 'Teresa', 'Nowak'];

let stack: TelemetryStack;
let anchor: string;
let status: PersonStatus;
/** People whose workflows the file started: terminated at the end. */
const started: string[] = [];

async function startJoiner(personAnchor: string, eventId: string): Promise<void> {
  started.push(personAnchor);
  await stack.client.workflow.signalWithStart(WORKFLOW_TYPES.personLifecycle, {
    workflowId: personWorkflowId(personAnchor),
    taskQueue: TASK_QUEUES.orchestration,
    signal: SIGNALS.identityEvent,
    signalArgs: [{ eventId, kind: 'joiner', anchor: personAnchor, source: 'ldap', observedAt: new Date().toISOString(), reason: 'joiner for the telemetry test' }],
    args: [{ anchor: personAnchor }],
  });
}

const personStatus = (personAnchor: string) => stack.client.workflow.getHandle(personWorkflowId(personAnchor)).query(personStatusQuery);

before(async () => {
  stack = await startTelemetryStack();
  const dn = await stack.ldap.addPerson(USERNAME, { cn: NAME, givenName: 'Teresa', sn: 'Nowak', mail: EMAIL });
  await stack.ldap.addGroup('support', [dn]);
  anchor = (await stack.runtime.directory.findPerson({ username: USERNAME }))!.anchor;
  // The target's first answer is a 429 (Retry-After: 1 s): that attempt fails RateLimited and is retried.
  await stack.scim.setFaults({ queue: ['rateLimit'] });
  await startJoiner(anchor, 'telemetry-1');
  status = await pollUntil('the joiner to finish', () => personStatus(anchor), {
    timeoutMs: 120_000,
    retryErrors: true,
    accept: (s) => s?.outcome !== undefined,
  });
});

after(async () => {
  for (const id of [...started.map(personWorkflowId), WATCHER_WORKFLOW_ID]) await stack?.client.workflow.getHandle(id).terminate('test finished').catch(() => undefined);
  await stack?.close();
});

async function history(workflowId: string): Promise<temporal.api.history.v1.IHistory> {
  return stack.client.workflow.getHandle(workflowId).fetchHistory();
}

test('the joiner converged after the target answered 429 once', async () => {
  assert.equal(status.outcome, 'converged', status.outcomeReason);
  const faults = (await stack.scim.state()).faults;
  assert.equal(faults.injected.rateLimit, 1, 'the emulator answered exactly one 429');
});

test("the workers' Prometheus endpoint serves the SDK's metrics and idsync's counters with the run's values and labels", async () => {
  const { text, samples } = await pollUntil(
    "the run's metrics to reach the endpoint",
    async () => {
      const scraped = await scrape(stack.metricsUrl);
      return total(scraped.samples, IDSYNC_METRICS.runs.name) > 0 ? scraped : undefined;
    },
    { timeoutMs: 30_000 },
  );
  // The SDK's own runtime metrics, on the same endpoint.
  assert.ok(total(samples, 'temporal_activity_execution_latency_count', { activity_type: 'ensureAccount' }) >= 1, 'SDK activity latency histogram');
  assert.ok(total(samples, 'temporal_workflow_completed', { workflow_type: 'joinerWorkflow' }) >= 1, 'SDK workflow completions');
  for (const name of SDK_METRICS_ON_DASHBOARD) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `the dashboard's SDK metric ${name} is served`);

  assert.equal(total(samples, IDSYNC_METRICS.identityEvents.name, { kind: 'joiner', source: 'ldap', disposition: 'accepted' }), 1);
  assert.equal(total(samples, IDSYNC_METRICS.runs.name), 1);
  assert.equal(total(samples, IDSYNC_METRICS.runs.name, { kind: 'joiner', outcome: 'converged' }), 1);

  const desk = { target: 'desk', target_kind: 'scim' };
  assert.equal(total(samples, IDSYNC_METRICS.targetRateLimited.name), 1, 'one 429 in all');
  assert.equal(total(samples, IDSYNC_METRICS.targetRateLimited.name, desk), 1, "the 429 is the desk target's");
  assert.equal(total(samples, IDSYNC_METRICS.targetErrors.name), 1, 'the 429 is the only failed attempt');
  assert.equal(total(samples, IDSYNC_METRICS.targetErrors.name, { ...desk, error_class: 'RateLimited', retryable: 'true' }), 1);

  // Every activity the runs scheduled on the target's queue is one attempt, plus the retried one.
  const runIds = [personWorkflowId(anchor), status.lastResult!.workflowId];
  const scheduled = new Map<string, number>();
  for (const id of runIds) {
    for (const event of (await history(id)).events ?? []) {
      const attrs = event.activityTaskScheduledEventAttributes;
      if (attrs?.taskQueue?.name !== TASK_QUEUES.target('desk')) continue;
      const type = attrs.activityType!.name!;
      scheduled.set(type, (scheduled.get(type) ?? 0) + 1);
    }
  }
  assert.ok((scheduled.get('ensureAccount') ?? 0) >= 1, `the run wrote through the desk queue: ${JSON.stringify([...scheduled])}`);
  const attempts = [...scheduled.values()].reduce((a, b) => a + b, 0) + 1;
  assert.equal(total(samples, IDSYNC_METRICS.targetOperations.name, desk), attempts);
  for (const [operation, count] of scheduled) {
    const failed = total(samples, IDSYNC_METRICS.targetErrors.name, { ...desk, operation });
    assert.equal(total(samples, IDSYNC_METRICS.targetOperations.name, { ...desk, operation }), count + failed, operation);
  }

  for (const value of [...PERSONAL, anchor]) assert.ok(!text.includes(value), `the scrape never names ${value}`);
  // Every idsync series carries only the labels its definition lists and the SDK's context tags.
  const sdkLabels = new Set(['namespace', 'taskQueue', 'workflowType', 'activityType']);
  for (const definition of Object.values(IDSYNC_METRICS)) {
    for (const sample of samples.filter((s) => s.name === definition.name)) {
      for (const label of Object.keys(sample.labels)) assert.ok((definition.labels as readonly string[]).includes(label) || sdkLabels.has(label), `${definition.name}: unexpected label ${label}`);
    }
  }
});

function spanText(span: ReadableSpan): string {
  return JSON.stringify({ name: span.name, attributes: span.attributes, status: span.status, events: span.events, links: span.links });
}

test('the run is one trace: client signal, workflow and activity spans linked, and none carries personal data', async () => {
  await stack.tracing.spanProcessor.forceFlush();
  const spans = stack.spans.getFinishedSpans();
  const one = (name: string) => {
    const found = spans.filter((s) => s.name === name);
    assert.ok(found.length >= 1, `a span ${name} among ${[...new Set(spans.map((s) => s.name))].join(', ')}`);
    return found[0]!;
  };
  const signal = one(`SignalWithStartWorkflow:${WORKFLOW_TYPES.personLifecycle}`);
  const traceId = signal.spanContext().traceId;
  const handled = one('HandleSignal:identityEvent');
  const startChild = one('StartChildWorkflow:joinerWorkflow');
  const joiner = one('RunWorkflow:joinerWorkflow');
  const startEnsure = one('StartActivity:ensureAccount');
  const runEnsure = one('RunActivity:ensureAccount');
  for (const span of [handled, startChild, joiner, startEnsure, runEnsure]) assert.equal(span.spanContext().traceId, traceId, `${span.name} is in the client's trace`);
  assert.equal(handled.parentSpanId, signal.spanContext().spanId, "the workflow's signal handler continues the client's span");
  assert.equal(joiner.parentSpanId, startChild.spanContext().spanId, 'the child run continues the span that started it');
  assert.equal(startEnsure.parentSpanId, joiner.spanContext().spanId, 'the joiner scheduled the activity');
  assert.equal(runEnsure.parentSpanId, startEnsure.spanContext().spanId, "the activity's execution continues the workflow's span (across the task queue)");
  assert.equal(runEnsure.attributes.temporalWorkflowId, status.lastResult!.workflowId);

  const failed = spans.filter((s) => s.name.startsWith('RunActivity:') && s.status.code === SpanStatusCode.ERROR);
  assert.equal(failed.length, 1, 'the rate-limited attempt is the one failed activity span');
  assert.equal(failed[0]!.status.message, undefined, 'without the failure message');
  assert.deepEqual(failed[0]!.events.map((e) => Object.keys(e.attributes ?? {})), [['exception.type']], 'the exception event keeps its type only');

  for (const span of spans) {
    const text = spanText(span);
    for (const value of PERSONAL) assert.ok(!text.includes(value), `${span.name} does not carry ${value}: ${text}`);
  }
});

test("the run's histories and the recorded ones replay with the production bundle (OpenTelemetry interceptors and span sink)", async () => {
  const recorded = join(__dirname, '..', 'histories');
  const histories = [
    { workflowId: personWorkflowId(anchor), history: await history(personWorkflowId(anchor)) },
    { workflowId: status.lastResult!.workflowId, history: await history(status.lastResult!.workflowId) },
    // Person runs, reconciliation, the watcher and group workflows, as recorded by earlier versions.
    ...['', 'reconcile', 'watcher', 'groups'].flatMap((dir) =>
      readdirSync(join(recorded, dir))
        .filter((file) => file.endsWith('.json'))
        .map((file) => ({ workflowId: join(dir, file.replace(/\.json$/, '')), history: historyFromStoredJson(readFileSync(join(recorded, dir, file), 'utf8')) })),
    ),
  ];
  const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle(undefined, { traced: true }), sinks: workflowSinks({ tracing: stack.tracing }) }, histories);
  let replayed = 0;
  for await (const result of results) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
    replayed += 1;
  }
  assert.equal(replayed, histories.length);
});

test('an approval is counted when requested, is pending while it waits, and its outcome is counted when decided', async () => {
  const approverDn = await stack.ldap.addPerson('mkrol', { cn: 'Marta Krol', mail: 'marta.krol@example.com' });
  await stack.ldap.addGroup('access-approvers', [approverDn]);
  const adminDn = await stack.ldap.addPerson('pzielinski', { cn: 'Piotr Zielinski', mail: 'piotr.zielinski@example.com' });
  await stack.ldap.addValues(stack.ldap.groupDn('support'), 'member', [adminDn]);
  await stack.ldap.addGroup('desk-admins', [adminDn]);
  const admin = (await stack.runtime.directory.findPerson({ username: 'pzielinski' }))!.anchor;
  const metric = async (name: string, labels: Record<string, string> = {}) => total((await scrape(stack.metricsUrl)).samples, name, labels);

  await startJoiner(admin, 'telemetry-2');
  await pollUntil('the pending approval to be counted', async () => ((await metric(IDSYNC_METRICS.approvalsPending.name)) === 1 ? true : undefined), { timeoutMs: 60_000 });
  assert.equal(await metric(IDSYNC_METRICS.approvalRequests.name), 1);
  assert.equal(await metric(IDSYNC_METRICS.approvalOutcomes.name), 0, 'nothing decided yet');

  const run = (await personStatus(admin)).activeRun!.workflowId;
  const answer = await stack.client.workflow.getHandle(run).executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'mkrol', comment: 'telemetry test' }] });
  assert.equal(answer.accepted, true, answer.message);
  const finished = await pollUntil('the approved joiner to finish', () => personStatus(admin), { timeoutMs: 60_000, accept: (s) => s?.activeRun === undefined && s?.outcome !== undefined });
  assert.equal(finished.outcome, 'converged', finished.outcomeReason);
  await pollUntil('the pending count to drop', async () => ((await metric(IDSYNC_METRICS.approvalsPending.name)) === 0 ? true : undefined), { timeoutMs: 30_000 });
  assert.equal(await metric(IDSYNC_METRICS.approvalOutcomes.name, { outcome: 'approved' }), 1);
  assert.equal(await metric(IDSYNC_METRICS.approvalOutcomes.name), 1);
  assert.equal(await metric(IDSYNC_METRICS.runs.name, { kind: 'joiner', outcome: 'converged' }), 2);
});

test('a reconciliation run counts the accounts it classified by target and situation', async () => {
  const summary = await stack.client.workflow.execute<(input: unknown) => Promise<ReconcileSummary>>(WORKFLOW_TYPES.reconcile, {
    workflowId: uniqueId('idsync-reconcile-telemetry'),
    taskQueue: TASK_QUEUES.orchestration,
    args: [{ apply: false, trigger: 'cli' }],
  });
  const situations = summary.targets.desk!.situations;
  const accounts = Object.values(situations).reduce((a, b) => a + (b ?? 0), 0);
  assert.equal(accounts, (await stack.scim.state()).users.length, 'every account of the target was classified');
  assert.ok((situations.inSync ?? 0) >= 2, `the two joiners' accounts are in sync: ${JSON.stringify(situations)}`);
  const samples = await pollUntil(
    'the situations to reach the endpoint',
    async () => {
      const scraped = await scrape(stack.metricsUrl);
      return total(scraped.samples, IDSYNC_METRICS.reconcileAccounts.name) === accounts ? scraped.samples : undefined;
    },
    { timeoutMs: 30_000 },
  );
  for (const [situation, count] of Object.entries(situations)) {
    assert.equal(total(samples, IDSYNC_METRICS.reconcileAccounts.name, { target: 'desk', situation }), count, situation);
  }
});

test("the mass-change guard's gauges follow the watcher: clear after its baseline, then the held batch awaiting an operator", async () => {
  const guard = async () => {
    const { samples } = await scrape(stack.metricsUrl);
    const present = samples.some((s) => s.name === IDSYNC_METRICS.guardAwaitingApproval.name);
    return present ? { held: total(samples, IDSYNC_METRICS.guardHeld.name), awaiting: total(samples, IDSYNC_METRICS.guardAwaitingApproval.name) } : undefined;
  };
  await ensureWatcherRunning(stack.client);
  assert.deepEqual(await pollUntil("the watcher's first poll to set the gauges", guard, { timeoutMs: 60_000 }), { held: 0, awaiting: 0 });
  // Two of the three people gone at once: over the guard's limit of one (config in ./support.ts).
  await stack.ldap.remove(stack.ldap.personDn(USERNAME));
  await stack.ldap.remove(stack.ldap.personDn('mkrol'));
  const tripped = await pollUntil('the guard to hold the leavers', guard, { timeoutMs: 60_000, accept: (g) => g?.awaiting === 1 });
  assert.deepEqual(tripped, { held: 2, awaiting: 1 });
});
