import type { IdentityEvent } from '../../domain/person';
import type { GuardSource } from '../../domain/deprovisioning';

export type { GuardSource } from '../../domain/deprovisioning';

/** What the watcher remembers per person between polls (kept on disk, never in workflow history). */
export interface SnapshotEntry {
  /** Fingerprint of everything a lifecycle decision depends on. */
  fp: string;
  enabled: boolean;
  /** No longer in the directory/scope; kept so a return is recognised as a rehire. */
  gone?: boolean;
  /** Held in the pending guard batch ("pending") or a rejected leaver the operator chose to keep ("kept"). */
  hold?: 'pending' | 'kept';
  /** When an operator rejected this person's removal: still gone after guard.rejectRecheckAfter, it comes back as a new batch. */
  keptSince?: string;
  /** Count of events emitted for this person: part of every event id, so a replayed poll repeats ids exactly. */
  v: number;
  /** Group names, so a group change can find its former members. */
  groups: string[];
}

/** What the watcher remembers per directory group between group scans (kept on disk, never in history). */
export interface GroupSnapshotEntry {
  name: string;
  /** Hash of the sorted member anchors. */
  fp: string;
  /** Count of events emitted for this group: part of every event id, so a replayed poll repeats ids exactly. */
  v: number;
  /** Deleted or out of scope, and the deletion released: a return is a new appearance. */
  gone?: boolean;
  /** Its deletion is held in the pending guard batch ("pending") or an operator rejected it ("kept"). */
  hold?: 'pending' | 'kept';
  keptSince?: string;
}

export type GroupEventKind = 'appeared' | 'renamed' | 'membersChanged' | 'removed';

/** A directory group's lifecycle event, delivered to that group's workflow (workflows/group-lifecycle.ts). */
export interface GroupEvent {
  eventId: string;
  kind: GroupEventKind;
  /** The group's immutable anchor (entryUUID / objectGUID). */
  anchor: string;
  /** Its name now (for a removal: the last name seen). */
  name: string;
  /** Set on a rename: the name the targets may still know it by. */
  previousName?: string;
  /** Members in scope now (a count only: the group workflow reads the members when it applies the event). */
  members: number;
  observedAt: string;
  reason: string;
}

/** A group deletion waiting in the guard's batch. */
export interface HeldGroupEvent {
  event: GroupEvent;
  /** A deletion rejected earlier and still gone after guard.rejectRecheckAfter. */
  recheck?: boolean;
}

export interface HeldEvent {
  event: IdentityEvent;
  /** Snapshot fingerprint to record if released (the disabled state), or null for a removal. */
  fp: string | null;
  groups: string[];
  /** Sent by another source (the intake): delivered if approved, never recorded in the watcher's snapshot. */
  external?: boolean;
  /** A removal rejected earlier and still gone after guard.rejectRecheckAfter: always held again. */
  recheck?: boolean;
}


/**
 * A request to deprovision `count` people or accounts. Leaver events (the intake's) are held in the
 * batch itself and delivered on approval; a requester that holds its own changes (a reconciliation
 * run) names its workflow as `waiter` and is signalled with the decision.
 */
export interface AdmissionRequest {
  /** Idempotency key: the same request asked twice gets the same answer. */
  requestId: string;
  source: GuardSource;
  count: number;
  /** What is asked, for the operator (no personal data): e.g. "reconciliation idsync-reconcile-…". */
  what: string;
  events?: IdentityEvent[];
  waiter?: string;
}

export interface AdmissionVerdict {
  admitted: boolean;
  batchId?: string;
  reason?: string;
}

/** A held request whose changes are not in the batch: its requester waits for the decision signal. */
export interface HeldRequest {
  requestId: string;
  source: GuardSource;
  count: number;
  what: string;
  waiter?: string;
}

export interface PendingBatch {
  id: string;
  createdAt: string;
  reason: string;
  held: HeldEvent[];
  requests?: HeldRequest[];
  /** Directory group deletions (guard source "groups"), delivered to their group workflows on approval. */
  groups?: HeldGroupEvent[];
}

/** Deprovisionings released without an operator within the guard's sliding window. */
export interface ReleasedRecord {
  at: string;
  count: number;
  /** Absent on records written before sources were counted apart: the watcher's. */
  source?: GuardSource;
}

export interface WatcherState {
  format: 1;
  generation: number;
  cursor: string | null;
  cursorAdvancedAt: string | null;
  lastPollAt: string | null;
  lastPresenceScanAt: string | null;
  /** How long the last presence scan took; big directories are scanned less often. */
  lastPresenceScanMs?: number;
  lastFullScanAt: string | null;
  people: Record<string, SnapshotEntry>;
  pending: PendingBatch | null;
  /** Leavers seen while a batch was pending: re-checked once the operator has decided. */
  deferred: string[];
  /** Deprovisionings released without an operator, per request, within the guard's sliding window. */
  released?: ReleasedRecord[];
  /** Recent admission answers by request id, so a retried request gets the same answer. */
  admissions?: Record<string, AdmissionVerdict>;
  /** Directory groups by anchor (directory/watch/groups.ts); absent until the first group scan. */
  groups?: Record<string, GroupSnapshotEntry>;
}

export function emptyState(generation: number): WatcherState {
  return {
    format: 1,
    generation,
    cursor: null,
    cursorAdvancedAt: null,
    lastPollAt: null,
    lastPresenceScanAt: null,
    lastFullScanAt: null,
    people: {},
    pending: null,
    deferred: [],
  };
}

/** Small summary returned to the workflow (history stays tiny however big the directory is). */
export interface PendingSummary {
  batchId: string;
  /** Everything held: leaver events plus the counts of held requests. */
  leavers: number;
  /** The same, per source. */
  sources?: Partial<Record<GuardSource, number>>;
  reason: string;
  since: string;
}

export interface PollOutcome {
  generation: number;
  delivered: number;
  cursorAdvancedAt: string | null;
  lastPollAt: string;
  people: number;
  pending: PendingSummary | null;
  pollIntervalMs: number;
  pollsPerRun: number;
}

/** A decision's outcome: the state after it, or why it was refused (then nothing changed). */
export interface DecisionOutcome extends PollOutcome {
  refused?: string;
  /** Workflows whose held requests this decision settles: the watcher workflow signals each. */
  waiters?: string[];
}

export interface AdmissionOutcome extends PollOutcome {
  verdict: AdmissionVerdict;
}

/** The signal a waiting requester gets when its held batch is decided. */
export interface GuardDecisionNotice {
  batchId: string;
  approved: boolean;
  operator: string;
  comment: string;
}

export interface BatchDecision {
  batchId?: string;
  /** Operator identity (e.g. e-mail or login), recorded in the audit log. */
  operator: string;
  comment: string;
}
