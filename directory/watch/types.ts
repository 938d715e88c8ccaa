import type { IdentityEvent } from '../../domain/person';

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

export interface HeldEvent {
  event: IdentityEvent;
  /** Snapshot fingerprint to record if released (the disabled state), or null for a removal. */
  fp: string | null;
  groups: string[];
}

export interface PendingBatch {
  id: string;
  createdAt: string;
  reason: string;
  held: HeldEvent[];
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
  /** Leavers released without an operator, per poll, within the guard's sliding window. */
  released?: { at: string; count: number }[];
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
  leavers: number;
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
}

export interface BatchDecision {
  batchId?: string;
  /** Operator identity (e.g. e-mail or login), recorded in the audit log. */
  operator: string;
  comment: string;
}
