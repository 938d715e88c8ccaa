/**
 * Where a run's activities spent their time, from a sample of run histories: per task queue and
 * activity type, the wait in the queue (scheduled -> started: rate limit, concurrency slots) and the
 * execution (started -> completed: the connector's requests, the audit log's sync).
 */
import type { Client } from '@temporalio/client';
import { percentile } from './latency-stages';

type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;
const ms = (t: Timestamp) => (t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : 0);

interface Timing {
  queued: number[];
  running: number[];
}

export async function activityTimes(client: Client, workflowType: string, sample: number): Promise<Map<string, Timing>> {
  const ids: { workflowId: string; runId: string }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = '${workflowType}' AND ExecutionStatus = 'Completed'` })) {
    ids.push({ workflowId: wf.workflowId, runId: wf.runId });
    if (ids.length >= sample) break;
  }
  const timings = new Map<string, Timing>();
  for (const { workflowId, runId } of ids) {
    const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    const scheduled = new Map<string, { key: string; at: number }>();
    const started = new Map<string, number>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), { key: `${s.taskQueue?.name ?? '?'} ${s.activityType?.name ?? '?'}`, at: ms(e.eventTime) });
      const st = e.activityTaskStartedEventAttributes;
      if (st) started.set(String(st.scheduledEventId), ms(e.eventTime));
      const c = e.activityTaskCompletedEventAttributes;
      const from = c && scheduled.get(String(c.scheduledEventId));
      const begun = c ? started.get(String(c.scheduledEventId)) : undefined;
      if (!from || begun === undefined) continue;
      const t = timings.get(from.key) ?? { queued: [], running: [] };
      t.queued.push(begun - from.at);
      t.running.push(ms(e.eventTime) - begun);
      timings.set(from.key, t);
    }
  }
  return timings;
}

/** Mean running time of the sampled activities on each task queue, in ms. */
export function meanRunningByQueue(timings: Map<string, Timing>): Map<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const [key, t] of timings) {
    const queue = key.split(' ')[0]!;
    const s = sums.get(queue) ?? { total: 0, n: 0 };
    s.total += t.running.reduce((a, b) => a + b, 0);
    s.n += t.running.length;
    sums.set(queue, s);
  }
  return new Map([...sums].map(([queue, s]) => [queue, s.total / s.n]));
}

export function printActivityTimes(timings: Map<string, Timing>, runs: number): void {
  console.log(`\nactivity times (ms) over ${runs} sampled runs: queued (scheduled -> started) and running (started -> completed)`);
  console.log(`  ${'task queue and activity'.padEnd(48)} ${'n'.padStart(5)} ${'queued p50'.padStart(10)} ${'p90'.padStart(6)} ${'running p50'.padStart(11)} ${'p90'.padStart(6)}`);
  for (const [key, t] of [...timings].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(
      `  ${key.padEnd(48)} ${String(t.running.length).padStart(5)} ${String(percentile(t.queued, 50)).padStart(10)} ${String(percentile(t.queued, 90)).padStart(6)} ${String(percentile(t.running, 50)).padStart(11)} ${String(percentile(t.running, 90)).padStart(6)}`,
    );
  }
}
