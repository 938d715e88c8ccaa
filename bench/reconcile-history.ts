import type { Client } from '@temporalio/client';

export interface PageTiming {
  pages: number;
  /** First page scheduled to last page completed. */
  seconds: number;
  p50Ms: number;
  maxMs: number;
}

type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;
const ms = (t: Timestamp) => (t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : 0);

/** Per target, from the run's history: how many page activities ran, over how long, and how long each took. */
export async function pageTimings(client: Client, workflowId: string): Promise<Record<string, PageTiming>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, { target: string; at: number }>();
  const started = new Map<string, number>();
  const perTarget = new Map<string, { first: number; last: number; durations: number[] }>();
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s && s.activityType?.name === 'readAccountPage') {
      const target = (s.taskQueue?.name ?? '').replace(/^idsync-target-/, '');
      scheduled.set(String(event.eventId), { target, at: ms(event.eventTime) });
    }
    const st = event.activityTaskStartedEventAttributes;
    if (st) started.set(String(st.scheduledEventId), ms(event.eventTime));
    const c = event.activityTaskCompletedEventAttributes;
    const page = c && scheduled.get(String(c.scheduledEventId));
    if (page) {
      const entry = perTarget.get(page.target) ?? { first: page.at, last: 0, durations: [] };
      entry.first = Math.min(entry.first, page.at);
      entry.last = Math.max(entry.last, ms(event.eventTime));
      entry.durations.push(ms(event.eventTime) - (started.get(String(c.scheduledEventId)) ?? page.at));
      perTarget.set(page.target, entry);
    }
  }
  const result: Record<string, PageTiming> = {};
  for (const [target, { first, last, durations }] of perTarget) {
    const sorted = [...durations].sort((a, b) => a - b);
    result[target] = { pages: durations.length, seconds: (last - first) / 1000, p50Ms: sorted[Math.floor(sorted.length / 2)] ?? 0, maxMs: sorted[sorted.length - 1] ?? 0 };
  }
  return result;
}
