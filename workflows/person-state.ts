/**
 * The person workflow's state and rules, as a plain class that calls no Temporal API, so every rule
 * is unit-tested without a server (test/workflows/person-state.test.ts). The workflow function
 * (person-lifecycle.ts) is the thin shell that feeds it signals, run results and the clock, and does
 * what it returns. Time always comes in as milliseconds from the caller: the workflow passes its
 * deterministic clock.
 */
import type { IdentityEvent, IdentityEventKind } from '../domain/person';
import { compareText } from '../lib/compare-text';
import { linkValue } from '../lib/search-attributes';
import type {
  AccountLink,
  ConvergenceOutcome,
  EventOutcome,
  PendingRemoval,
  PersonLifecycleOptions,
  PersonLifecycleState,
  PersonStatus,
  RunResult,
} from './person-types';

const DEFAULT_REMEMBERED_EVENTS = 256;
const RECENT_OUTCOMES = 20;
/** 1 min, 5 min, 30 min, then hourly: quick for a blip, patient for an outage, never giving up. */
export const DEFAULT_RETRY_BACKOFF_MS = [60_000, 300_000, 1_800_000, 3_600_000];

const iso = (ms: number) => new Date(ms).toISOString();
/** Starts every outcome reason a failed removal sets, so a later successful removal can recognise it. */
const REMOVAL_FAILED = 'removal from';

/** A queued event that a newer one makes pointless never starts: a leaver replaces everything queued before it; a mover or sync replaces earlier movers/syncs (each run re-reads the directory anyway). */
function replaces(newer: IdentityEvent, queued: IdentityEvent): boolean {
  if (newer.kind === 'leaver') return queued.kind !== 'leaver';
  return (newer.kind === 'mover' || newer.kind === 'sync') && (queued.kind === 'mover' || queued.kind === 'sync');
}

/** Due deprovisioning work, taken out of the state by `takeDue`. */
export interface DueWork {
  leave?: NonNullable<PersonLifecycleState['pendingLeave']>;
  removals: PendingRemoval[];
}

export class PersonState {
  private constructor(readonly data: PersonLifecycleState) {}

  static start(anchor: string, options: PersonLifecycleOptions, carried?: PersonLifecycleState): PersonState {
    const data = carried ?? { anchor, options, seenEventIds: [], queue: [], pendingRemovals: [], recent: [] };
    data.links ??= {};
    return new PersonState(data);
  }

  get anchor(): string {
    return this.data.anchor;
  }

  get options(): PersonLifecycleOptions {
    return this.data.options;
  }

  get links(): Record<string, AccountLink> {
    return this.data.links!;
  }

  note(outcome: EventOutcome): void {
    this.data.recent = [...this.data.recent, outcome].slice(-RECENT_OUTCOMES);
  }

  /** An identity event arrives: duplicates and other people's events are noted and dropped; a newer event replaces pointless queued ones. */
  receive(event: IdentityEvent, nowMs: number): boolean {
    const at = iso(nowMs);
    if (event.anchor !== this.anchor || this.data.seenEventIds.includes(event.eventId)) {
      this.note({ eventId: event.eventId, kind: event.kind, outcome: 'duplicate', at, message: event.anchor !== this.anchor ? 'event for another person ignored' : undefined });
      return false;
    }
    this.data.seenEventIds = [...this.data.seenEventIds, event.eventId].slice(-(this.options.rememberedEvents ?? DEFAULT_REMEMBERED_EVENTS));
    for (const dropped of this.data.queue.filter((q) => replaces(event, q))) {
      this.note({ eventId: dropped.eventId, kind: dropped.kind, outcome: 'superseded-before-start', at, message: `replaced by ${event.kind} ${event.eventId}` });
    }
    this.data.queue = [...this.data.queue.filter((q) => !replaces(event, q)), event];
    // A source authoritative for person data: its latest record is what this person is planned from
    // while the directory does not have them. A leaver ends that.
    if (event.kind === 'leaver') this.data.pushedPerson = undefined;
    else if (event.source === 'intake' && event.personAuthoritative && event.person) this.data.pushedPerson = event.person;
    return true;
  }

  /** The record to plan from when the directory does not have the person (authoritative intake), if any. */
  get pushedPerson(): IdentityEvent['person'] {
    return this.data.pushedPerson;
  }

  /** The first queued event that should interrupt a run waiting for an approval or a start date (sync events never do). */
  interruptingEvent(): IdentityEvent | undefined {
    return this.data.queue.find((e) => e.kind !== 'sync');
  }

  takeNextEvent(): IdentityEvent | undefined {
    return this.data.queue.shift();
  }

  get hasQueued(): boolean {
    return this.data.queue.length > 0;
  }

  /** A leaver with a leave date still ahead is deferred to that date (cancellable); returns true when deferred. */
  deferLeaver(event: IdentityEvent, nowMs: number): boolean {
    const leaveAt = event.person?.endDate ? Date.parse(event.person.endDate) : NaN;
    if (!Number.isNaN(leaveAt) && leaveAt > nowMs) {
      this.data.pendingLeave = { eventId: event.eventId, dueAt: iso(leaveAt), reason: event.reason };
      this.note({ eventId: event.eventId, kind: event.kind, outcome: 'deferred', at: iso(nowMs), message: `leave date ${this.data.pendingLeave.dueAt}` });
      return true;
    }
    this.data.pendingLeave = undefined; // leaving now: a leave scheduled for later has nothing left to do
    return false;
  }

  /** Joiner or rehire: pending removals (and a pending leave) are cancelled; returns what was cancelled, for the audit log. */
  cancelDeprovisioning(): { removals: PendingRemoval[]; leaveDueAt?: string } | undefined {
    const removals = this.data.pendingRemovals;
    const leave = this.data.pendingLeave;
    if (removals.length === 0 && !leave) return undefined;
    this.data.pendingRemovals = [];
    this.data.pendingLeave = undefined;
    return { removals, ...(leave ? { leaveDueAt: leave.dueAt } : {}) };
  }

  /**
   * A run ended: schedule removals, follow the directory's leave date, remember links, and decide the
   * person's outcome and whether (and when) to try again.
   */
  runFinished(kind: IdentityEventKind, eventId: string, result: RunResult, nowMs: number): void {
    const d = this.data;
    d.pendingRemovals = d.pendingRemovals.filter((r) => !result.inScopeTargets.includes(r.target));
    for (const removal of result.scheduledRemovals) {
      if (d.pendingRemovals.some((r) => r.target === removal.target)) continue; // the earlier clock keeps running
      d.pendingRemovals.push({ ...removal, eventId, removeAt: iso(nowMs + removal.gracePeriodMs) });
    }
    // A leave date in the directory becomes a pending leave this workflow starts on the day (cancellable).
    if (result.plan && kind !== 'leaver') {
      const leaveAt = result.plan.leaveAt;
      if (leaveAt && (!d.pendingLeave || d.pendingLeave.fromPlan)) {
        d.pendingLeave = { eventId: `${eventId}.leave-date`, dueAt: leaveAt, reason: `leave date ${leaveAt} reached`, fromPlan: true };
      } else if (!leaveAt && d.pendingLeave?.fromPlan) d.pendingLeave = undefined;
    }
    for (const [target, accountId] of Object.entries(result.links ?? {})) {
      if (accountId === null) delete this.links[target];
      else if (this.links[target]?.accountId !== accountId) this.links[target] = { accountId, linkedAt: iso(nowMs) };
    }
    d.lastResult = result;
    if (result.plan?.usernameKey) d.usernameKey = result.plan.usernameKey;
    this.note({ eventId, kind, workflowId: result.workflowId, outcome: result.outcome, at: iso(nowMs), message: result.message });
    if (result.outcome !== 'superseded') this.settle(kind, eventId, result, nowMs);
  }

  /** Sets the person's outcome from a finished run and schedules (or clears) the retry. */
  private settle(kind: IdentityEventKind, eventId: string, result: RunResult, nowMs: number): void {
    const d = this.data;
    const outcome: ConvergenceOutcome = result.outcome === 'superseded' ? 'converged' : result.outcome;
    d.outcome = outcome;
    d.outcomeReason = outcome === 'converged' ? undefined : result.message;
    const retryable =
      outcome === 'partial' || outcome === 'conflict' ? result.targets.some((t) => t.status === 'failed' && t.retryable !== false) : outcome === 'failed' && result.retryable !== false;
    if (!retryable) {
      d.retry = undefined;
      return;
    }
    const attempt = (d.retry?.attempt ?? 0) + 1;
    d.retry = {
      attempt,
      dueAt: iso(nowMs + this.backoff(attempt)),
      kind: kind === 'leaver' ? 'leaver' : 'sync',
      afterEventId: eventId,
      reason: result.message ?? `${kind} ended ${outcome}`,
    };
  }

  private backoff(attempt: number): number {
    const steps = this.options.retryBackoffMs && this.options.retryBackoffMs.length > 0 ? this.options.retryBackoffMs : DEFAULT_RETRY_BACKOFF_MS;
    return steps[Math.min(attempt, steps.length) - 1]!;
  }

  /** The retry's event once its time has come (queued like any other event); the retry stays on record until a run settles it. */
  takeDueRetry(nowMs: number): IdentityEvent | undefined {
    const retry = this.data.retry;
    if (!retry || retry.queuedEventId || Date.parse(retry.dueAt) > nowMs) return undefined;
    const event: IdentityEvent = {
      eventId: `retry-${retry.attempt}.${retry.afterEventId}`,
      kind: retry.kind,
      anchor: this.anchor,
      source: 'retry',
      observedAt: iso(nowMs),
      reason: `retry ${retry.attempt}: ${retry.reason}`,
    };
    // Queued once: the retried run settles it (converged: cleared; still short: the next attempt).
    this.data.retry = { ...retry, queuedEventId: event.eventId };
    return this.receive(event, nowMs) ? event : undefined;
  }

  /** Takes the leave and the removals whose time has come out of the state. */
  takeDue(nowMs: number): DueWork {
    const d = this.data;
    const work: DueWork = { removals: d.pendingRemovals.filter((r) => Date.parse(r.removeAt) <= nowMs) };
    if (d.pendingLeave && Date.parse(d.pendingLeave.dueAt) <= nowMs) {
      work.leave = d.pendingLeave;
      d.pendingLeave = undefined;
    }
    d.pendingRemovals = d.pendingRemovals.filter((r) => !work.removals.includes(r));
    return work;
  }

  removalDone(removal: PendingRemoval, nowMs: number): void {
    delete this.links[removal.target];
    this.note({ eventId: removal.eventId, kind: 'leaver', outcome: 'removed', at: iso(nowMs), message: `removed from ${removal.target}` });
    if (this.data.pendingRemovals.every((r) => !r.lastError) && this.data.outcome === 'partial' && this.data.outcomeReason?.startsWith(REMOVAL_FAILED)) {
      this.data.outcome = 'converged';
      this.data.outcomeReason = undefined;
    }
  }

  /** A transient failure keeps the removal, later on the back-off; a permanent one leaves it to a person (reported, never forgotten silently). */
  removalFailed(removal: PendingRemoval, message: string, retryable: boolean, nowMs: number): void {
    const failures = (removal.failures ?? 0) + 1;
    const reason = `${REMOVAL_FAILED} ${removal.target} failed: ${message}`;
    this.note({ eventId: removal.eventId, kind: 'leaver', outcome: 'failed', at: iso(nowMs), message: reason });
    this.data.outcome = 'partial';
    this.data.outcomeReason = retryable ? `${reason}; retrying` : `${reason}; needs a person`;
    if (retryable) this.data.pendingRemovals.push({ ...removal, failures, lastError: message, removeAt: iso(nowMs + this.backoff(failures)) });
  }

  /** When the workflow must wake up by itself next: a removal, a leave date or a retry. */
  nextDueAt(): number | undefined {
    const d = this.data;
    const times = [...d.pendingRemovals.map((r) => Date.parse(r.removeAt)), ...(d.pendingLeave ? [Date.parse(d.pendingLeave.dueAt)] : []), ...(d.retry && !d.retry.queuedEventId ? [Date.parse(d.retry.dueAt)] : [])];
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** The entity workflow may end when it holds nothing: no queue, nothing pending, no account to look after. */
  mayFinish(): boolean {
    const d = this.data;
    return d.queue.length === 0 && d.pendingRemovals.length === 0 && !d.pendingLeave && !d.retry && Object.keys(this.links).length === 0;
  }

  /** The links as search attribute values, "target:accountId", sorted: `IdsyncLinks = "hubspot:123"` finds the owner of an account. */
  linkValues(): string[] {
    return Object.entries(this.links)
      .map(([target, link]) => linkValue(target, link.accountId))
      .sort(compareText);
  }

  status(activeRun?: PersonStatus['activeRun']): PersonStatus {
    const d = this.data;
    return {
      anchor: d.anchor,
      ...(activeRun ? { activeRun } : {}),
      queued: d.queue.map((e) => ({ eventId: e.eventId, kind: e.kind })),
      ...(d.pendingLeave ? { pendingLeave: d.pendingLeave } : {}),
      pendingRemovals: d.pendingRemovals,
      recent: d.recent,
      ...(d.lastResult ? { lastResult: d.lastResult } : {}),
      links: this.links,
      ...(d.outcome ? { outcome: d.outcome } : {}),
      ...(d.outcomeReason ? { outcomeReason: d.outcomeReason } : {}),
      ...(d.retry ? { retry: d.retry } : {}),
    };
  }
}
