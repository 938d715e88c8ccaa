/**
 * The rules of one directory group's workflow, as a plain class (no Temporal API, so it is
 * unit-testable): which events to apply (in order, each once), what each target's group is linked
 * to, and when the workflow is done (its group removed and nothing left to apply).
 */
import type { GroupEvent } from '../directory/watch/types';
import type { GroupApplyInput, GroupApplyOutcome, GroupLifecycleOptions } from '../activities/groups';

/** Event ids remembered to drop repeats (a watcher poll replayed after a crash sends the same ids). */
const REMEMBERED_EVENT_IDS = 100;

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
}

export interface GroupStatus {
  anchor: string;
  name?: string;
  links: GroupLifecycleState['links'];
  results: GroupLifecycleState['results'];
  removed: boolean;
  queued: number;
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

  /** Removed, and nothing further to apply: the workflow may end (a return starts a new one). */
  get finished(): boolean {
    return this.data.removed && !this.hasQueued;
  }

  status(): GroupStatus {
    const { name, links, results, removed, queue } = this.data;
    return { anchor: this.anchor, ...(name ? { name } : {}), links, results, removed, queued: queue.length };
  }
}
