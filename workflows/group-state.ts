/**
 * The rules of one directory group's workflow, as a plain class (no Temporal API, so it is
 * unit-testable): which events to apply (in order, each once), what each target's group is linked
 * to, and when the workflow is done (its group removed and nothing left to apply).
 */
import type { GroupEvent } from '../directory/watch/types';
import type { GroupApplyInput, GroupApplyOutcome, GroupLifecycleOptions } from '../activities/groups';

/** Event ids remembered to drop repeats (a watcher poll replayed after a crash sends the same ids). */
const REMEMBERED_EVENT_IDS = 100;
/** A target that kept failing after its activity retries is tried again after 1 min, 5 min, 30 min, then hourly. */
const RETRY_DELAYS_MS = [60_000, 300_000, 1_800_000, 3_600_000];

export interface GroupTargetResult {
  eventId: string;
  outcome: 'applied' | 'skipped' | 'kept' | 'failed';
  message?: string;
  /** Members with no account in the target when it was applied. */
  unresolvedMembers?: number;
}

export interface GroupLifecycleState {
  options: GroupLifecycleOptions;
  name?: string;
  /** Per target: the target group idsync linked, and whether idsync created it. */
  links: Record<string, { groupId: string; created: boolean }>;
  seen: string[];
  queue: GroupEvent[];
  results: Record<string, GroupTargetResult>;
  removed: boolean;
  /** The last event again, on a durable timer, while a target failed for a reason that may pass. */
  retry?: { event: GroupEvent; attempt: number; dueAt: number };
}

export interface GroupStatus {
  anchor: string;
  name?: string;
  links: GroupLifecycleState['links'];
  results: GroupLifecycleState['results'];
  removed: boolean;
  queued: number;
  /** When the last event is tried again for a target that failed. */
  retryAt?: string;
}

export class GroupState {
  readonly data: GroupLifecycleState;

  constructor(
    readonly anchor: string,
    options: GroupLifecycleOptions,
    state?: GroupLifecycleState,
  ) {
    this.data = state ?? { options, links: {}, seen: [], queue: [], results: {}, removed: false };
  }

  /** Queues an event unless it was seen before; false for a repeat. */
  receive(event: GroupEvent): boolean {
    if (event.anchor !== this.anchor) return false;
    if (this.data.seen.includes(event.eventId) || this.data.queue.some((e) => e.eventId === event.eventId)) return false;
    this.data.queue.push(event);
    return true;
  }

  get hasQueued(): boolean {
    return this.data.queue.length > 0;
  }

  takeNext(): GroupEvent | undefined {
    const event = this.data.queue.shift();
    if (!event) return undefined;
    // A newer event reads the directory again when it is applied, so it converges what a retry would.
    delete this.data.retry;
    this.data.seen = [...this.data.seen, event.eventId].slice(-REMEMBERED_EVENT_IDS);
    this.data.name = event.name;
    // A group that comes back is live again; its removal is over.
    this.data.removed = event.kind === 'removed';
    return event;
  }

  inputFor(event: GroupEvent, target: string): GroupApplyInput {
    const link = this.data.links[target];
    return {
      target,
      eventId: event.eventId,
      kind: event.kind,
      anchor: this.anchor,
      name: event.name,
      ...(event.previousName ? { previousName: event.previousName } : {}),
      ...(link ? { linkedId: link.groupId, created: link.created } : {}),
    };
  }

  applied(event: GroupEvent, target: string, outcome: GroupApplyOutcome): void {
    if (event.kind === 'removed' && !outcome.skipped) delete this.data.links[target];
    else if (outcome.groupId) this.data.links[target] = { groupId: outcome.groupId, created: outcome.created ?? false };
    const result: GroupTargetResult = { eventId: event.eventId, outcome: outcome.skipped ? 'skipped' : outcome.kept ? 'kept' : 'applied' };
    const message = outcome.skipped ?? outcome.kept;
    if (message) result.message = message;
    if (outcome.unresolvedMembers) result.unresolvedMembers = outcome.unresolvedMembers;
    this.data.results[target] = result;
  }

  failed(event: GroupEvent, target: string, message: string): void {
    this.data.results[target] = { eventId: event.eventId, outcome: 'failed', message };
  }

  /** After an event: schedule it again when a target failed for a reason that may pass (network, 5xx, 429), else clear the retry. */
  settle(event: GroupEvent, retryableFailure: boolean, nowMs: number): void {
    if (!retryableFailure) {
      delete this.data.retry;
      return;
    }
    const attempt = (this.data.retry?.event.eventId === event.eventId ? this.data.retry.attempt : 0) + 1;
    this.data.retry = { event, attempt, dueAt: nowMs + RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length) - 1]! };
  }

  /** The event to apply again when its retry is due. */
  takeDueRetry(nowMs: number): GroupEvent | undefined {
    return this.data.retry && this.data.retry.dueAt <= nowMs ? this.data.retry.event : undefined;
  }

  /** Removed, and nothing further to apply or retry: the workflow may end (a return starts a new one). */
  get finished(): boolean {
    return this.data.removed && !this.hasQueued && !this.data.retry;
  }

  status(): GroupStatus {
    const { name, links, results, removed, queue, retry } = this.data;
    return { anchor: this.anchor, ...(name ? { name } : {}), links, results, removed, queued: queue.length, ...(retry ? { retryAt: new Date(retry.dueAt).toISOString() } : {}) };
  }
}
