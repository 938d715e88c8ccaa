/**
 * Where the time of one directory change went, read back from Temporal's histories after the bench:
 * the person workflow's signal (the watcher delivered the event), the run it started, and that run's
 * activities (queue wait and execution apart).
 */
import type { Client } from '@temporalio/client';
import { personWorkflowId } from '../lib/names';

type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;
const ms = (t: Timestamp) => (t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : 0);

export interface Sample {
  anchor: string;
  /** The LDAP operation's completion (bench clock; the server's event times are on the same host). */
  writtenAt: number;
  /** The change was first seen through jsforce. */
  visibleAt: number;
}

/** Milliseconds per stage; they add up to the sample's latency. */
export interface Stages {
  /** LDAP write -> event signalled to the person workflow: the wait for the next poll, the poll, delivery. */
  watcher: number;
  /** Signal -> the run (child workflow) started: the person workflow's task and the child start. */
  start: number;
  /** Run start -> its plan for the target is read (directory read, policy, account read), queue waits included. */
  planning: number;
  /** Plan -> the last write's activity completed. */
  apply: number;
  /** Of planning and apply: activities waiting in their task queue (rate limit, slots). */
  queued: number;
  /** Last activity completed -> seen through jsforce (the bench's 50 ms poll, the run's own finish). */
  seen: number;
}

export const STAGE_NAMES: (keyof Stages)[] = ['watcher', 'start', 'planning', 'apply', 'queued', 'seen'];

async function events(client: Client, workflowId: string, runId?: string) {
  return (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

/** The stages of one sample, or null when its history does not show the run (e.g. no change was needed). */
export async function stagesOf(client: Client, sample: Sample): Promise<Stages | null> {
  const person = await events(client, personWorkflowId(sample.anchor));
  const signal = person.find((e) => e.workflowExecutionSignaledEventAttributes && ms(e.eventTime) >= sample.writtenAt);
  if (!signal) return null;
  const delivered = ms(signal.eventTime);
  const child = person.find((e) => e.childWorkflowExecutionStartedEventAttributes && ms(e.eventTime) >= delivered)?.childWorkflowExecutionStartedEventAttributes;
  if (!child?.workflowExecution?.workflowId) return null;
  const run = await events(client, child.workflowExecution.workflowId, child.workflowExecution.runId ?? undefined);
  const runStarted = ms(run[0]?.eventTime);
  const scheduled = new Map<string, { type: string; at: number }>();
  let planned = 0;
  let lastCompleted = runStarted;
  let queued = 0;
  for (const e of run) {
    const at = ms(e.eventTime);
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '', at });
    const st = e.activityTaskStartedEventAttributes;
    if (st) queued += at - (scheduled.get(String(st.scheduledEventId))?.at ?? at);
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      const type = scheduled.get(String(c.scheduledEventId))?.type;
      if (type === 'planTarget') planned = at;
      if (type !== 'recordAudit') lastCompleted = Math.max(lastCompleted, at);
    }
  }
  planned ||= runStarted;
  return {
    watcher: delivered - sample.writtenAt,
    start: runStarted - delivered,
    planning: planned - runStarted,
    apply: lastCompleted - planned,
    queued,
    seen: sample.visibleAt - lastCompleted,
  };
}

/** How long the watcher's polls took in [from, to], over every run (it continues as new), in the order they ran. */
export async function pollDurations(client: Client, watcherId: string, from: number, to: number): Promise<number[]> {
  const history = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${watcherId}'` })) history.push(...(await events(client, watcherId, run.runId)));
  const started = new Map<string, number>();
  const polls: { begun: number; ms: number }[] = [];
  for (const e of history) {
    const st = e.activityTaskStartedEventAttributes;
    if (st) started.set(String(st.scheduledEventId), ms(e.eventTime));
    const c = e.activityTaskCompletedEventAttributes;
    const begun = c && started.get(String(c.scheduledEventId));
    if (begun && begun >= from && begun <= to) polls.push({ begun, ms: ms(e.eventTime) - begun });
  }
  // Runs are listed newest first: in the order they ran, so the first is the baseline.
  return polls.sort((a, b) => a.begun - b.begun).map((p) => p.ms);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
