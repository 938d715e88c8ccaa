/**
 * Histories for bench/orchestration.ts: each person run's activities (id, type, queue, times), to give
 * the baseline the same activity count and shape and to compare activity wall time by type.
 */
import type { Client } from '@temporalio/client';
import { activityKey } from './orchestration-replay';
import type { BarePerson, BareStep } from './orchestration-bare-workflow';

type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;
const ms = (t: Timestamp) => (t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : 0);

export interface ActivityRun {
  activityId: string;
  type: string;
  taskQueue: string;
  scheduledAt: number;
  startedAt: number;
  closedAt: number;
}

export interface RunHistory {
  activities: ActivityRun[];
  /** Workflow tasks completed: each is one activation of the workflow code in the worker's sandbox. */
  workflowTasks: number;
}

export async function runHistory(client: Client, workflowId: string): Promise<RunHistory> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const runs = new Map<string, ActivityRun>();
  let workflowTasks = 0;
  for (const event of history.events ?? []) {
    if (event.workflowTaskCompletedEventAttributes) workflowTasks += 1;
    const s = event.activityTaskScheduledEventAttributes;
    if (s) runs.set(String(event.eventId), { activityId: s.activityId ?? '', type: s.activityType?.name ?? '', taskQueue: s.taskQueue?.name ?? '', scheduledAt: ms(event.eventTime), startedAt: 0, closedAt: 0 });
    const st = event.activityTaskStartedEventAttributes;
    if (st) runs.get(String(st.scheduledEventId))!.startedAt = ms(event.eventTime);
    const closed = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
    if (closed) runs.get(String(closed.scheduledEventId))!.closedAt = ms(event.eventTime);
  }
  return { activities: [...runs.values()], workflowTasks };
}

/** Many histories, a few at a time: each workflow's activities, and the workflow tasks of them all. */
export async function runHistories(client: Client, workflowIds: string[]): Promise<{ runs: Map<string, ActivityRun[]>; workflowTasks: number }> {
  const runs = new Map<string, ActivityRun[]>();
  let workflowTasks = 0;
  const queue = [...workflowIds];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const history = await runHistory(client, id);
        runs.set(id, history.activities);
        workflowTasks += history.workflowTasks;
      }
    }),
  );
  return { runs, workflowTasks };
}

/**
 * idsync's run as the baseline's shape: the activities on `directoryQueue` scheduled before any
 * target's go first, each target queue's activities in order as one chain (chains side by side), and
 * the remaining directory activities last. Queues are renamed by `queueFor`.
 */
export function bareShape(workflowId: string, runs: ActivityRun[], directoryQueue: string, queueFor: (taskQueue: string) => string): BarePerson {
  const ordered = [...runs].sort((a, b) => a.scheduledAt - b.scheduledAt || Number(a.activityId) - Number(b.activityId));
  const firstTarget = ordered.findIndex((r) => r.taskQueue !== directoryQueue);
  const step = (r: ActivityRun): BareStep => ({ key: activityKey(workflowId, r.activityId), type: r.type, taskQueue: queueFor(r.taskQueue) });
  const before = (firstTarget < 0 ? ordered : ordered.slice(0, firstTarget)).map(step);
  const rest = firstTarget < 0 ? [] : ordered.slice(firstTarget);
  const chains = new Map<string, BareStep[]>();
  for (const r of rest.filter((r) => r.taskQueue !== directoryQueue)) {
    const chain = chains.get(r.taskQueue) ?? [];
    chain.push(step(r));
    chains.set(r.taskQueue, chain);
  }
  return { before, chains: [...chains.values()], after: rest.filter((r) => r.taskQueue === directoryQueue).map(step) };
}

/** "planTarget on scim": the activity type and the target whose queue ran it (idsync's or the baseline's copy). */
export function typeAndTarget(r: ActivityRun): string {
  const target = /target-(.+)$/.exec(r.taskQueue)?.[1];
  return target ? `${r.type} on ${target}` : r.type;
}

/** Per activity type and target: count, mean and p50 run time (started to closed) and mean schedule-to-close, in ms. */
export function timingsByType(all: Iterable<ActivityRun[]>): Map<string, { count: number; meanRunMs: number; p50RunMs: number; meanScheduleToCloseMs: number }> {
  const byType = new Map<string, { run: number[]; total: number[] }>();
  for (const runs of all) {
    for (const r of runs) {
      const key = typeAndTarget(r);
      const entry = byType.get(key) ?? { run: [], total: [] };
      entry.run.push(r.closedAt - r.startedAt);
      entry.total.push(r.closedAt - r.scheduledAt);
      byType.set(key, entry);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
  return new Map(
    [...byType].map(([type, { run, total }]) => {
      const sorted = [...run].sort((a, b) => a - b);
      return [type, { count: run.length, meanRunMs: mean(run), p50RunMs: sorted[Math.floor(sorted.length / 2)] ?? 0, meanScheduleToCloseMs: mean(total) }];
    }),
  );
}
