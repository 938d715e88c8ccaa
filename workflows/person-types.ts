/**
 * Plain data exchanged between the person workflows, their activities and the CLI. Type-only
 * imports keep this file free of runtime dependencies, so workflow code can import it.
 */
import type { IdentityEvent, IdentityEventKind, Person } from '../domain/person';
import type { PersonPlan } from '../policy/plan';
import type { Outcome } from '../lib/search-attributes';

export type TargetStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface TargetProgress {
  target: string;
  status: TargetStatus;
  /** What the run did or intends for this target, e.g. "provision", "suspend", "nothing to do". */
  path: 'provision' | 'suspend' | 'none';
  accountId?: string;
  changes: number;
  error?: string;
  /** Whether the failure may pass by itself (network, 5xx, 429, timeout): the person workflow retries it. */
  retryable?: boolean;
  /** Identity conflict: the people who hold the account this person matched. */
  conflictWith?: string[];
}

/** How a run, and so the person, ended: every target as desired, some not (named, with why), the run itself failed, or an account another person holds was matched (conflict). */
export type ConvergenceOutcome = Outcome;

export type ApprovalState = 'none' | 'pending' | 'approved' | 'rejected' | 'expired' | 'superseded';

export interface ApprovalDecisionInput {
  /** Directory username or email of the person deciding. */
  approver: string;
  comment?: string;
}

export interface ApprovalRequestView {
  runWorkflowId: string;
  person: string;
  state: ApprovalState;
  requestedAt?: string;
  deadline?: string;
  grants: { target: string; kind: string; name: string; rule?: string }[];
  decidedBy?: string;
  comment?: string;
  refused: { approver: string; reason: string; at: string }[];
}

export interface ApprovalAnswer {
  accepted: boolean;
  state: ApprovalState;
  message: string;
}

export interface ScheduledRemoval {
  target: string;
  gracePeriodMs: number;
  /** The linked account: removal acts on it even when the directory no longer has the person. */
  accountId?: string;
  /** Match keys captured when the account was suspended, so removal works after the person left the directory. */
  username?: string;
  email?: string;
}

export interface RunOptions {
  /** Task queue of directory/audit activities; target activities go to `${targetQueuePrefix}${target}`. */
  directoryQueue?: string;
  targetQueuePrefix?: string;
  /** Overrides the plan's approval deadline (ms). */
  approvalTimeoutMs?: number;
  /** Start-to-close timeout of one target activity attempt (ms); a crashed worker's attempt is retried after it. */
  targetActivityTimeoutMs?: number;
  /** Attempts of one target activity before the target is reported failed for this run (default 12, about 8 minutes); the person workflow retries later. */
  targetMaxAttempts?: number;
}

export interface RunInput {
  anchor: string;
  eventId: string;
  kind: IdentityEventKind;
  reason: string;
  options: RunOptions;
  /** Accounts idsync manages for this person, by target: planning, suspension and removal act on them first. */
  links?: Record<string, string>;
  /** The record an authoritative intake source pushed: planned from when the directory does not have the person. */
  pushedPerson?: Person;
}

export interface RunResult {
  eventId: string;
  kind: IdentityEventKind;
  workflowId: string;
  outcome: ConvergenceOutcome | 'superseded';
  /** For a failed run: whether trying again later may succeed (false: a person must act first). */
  retryable?: boolean;
  plan?: PersonPlan;
  targets: TargetProgress[];
  approval?: ApprovalRequestView;
  /** Targets the run suspended; the person workflow removes them once their grace period ends. */
  scheduledRemovals: ScheduledRemoval[];
  /** Targets the person is in scope for after this run: a pending removal there is cancelled. */
  inScopeTargets: string[];
  /** Links after this run, by target: an account id to remember, or null to forget (the account is gone). */
  links: Record<string, string | null>;
  message?: string;
}

export interface RunView {
  workflowId: string;
  kind: IdentityEventKind;
  eventId: string;
  phase: string;
  plan?: PersonPlan;
  targets: TargetProgress[];
  approval?: ApprovalRequestView;
}

export interface PendingRemoval extends ScheduledRemoval {
  removeAt: string;
  eventId: string;
  /** Failed removal attempts so far; each failure moves removeAt along the retry back-off. */
  failures?: number;
  lastError?: string;
}

/** A person left short of the desired state is tried again on a durable timer (see retryBackoffMs). */
export interface ScheduledRetry {
  /** 1 for the first retry after a partial or failed run. */
  attempt: number;
  dueAt: string;
  kind: 'sync' | 'leaver';
  /** The run that left the person short, and why. */
  afterEventId: string;
  reason: string;
  /** Set once the retry's event is queued; the run it starts settles the retry. */
  queuedEventId?: string;
}

/** One account idsync manages for the person. */
export interface AccountLink {
  accountId: string;
  linkedAt: string;
}

export interface PersonLifecycleOptions extends RunOptions {
  /** Event ids remembered for de-duplication (bounded memory). */
  rememberedEvents?: number;
  /** Finish the entity workflow after this long with nothing queued or pending (ms). */
  idleFinishMs?: number;
  /** Continue as new after this many events (the server may ask earlier). */
  eventsPerRun?: number;
  /** Delays between retries of a person left partial; the last repeats (default 1m, 5m, 30m, then hourly). */
  retryBackoffMs?: number[];
}

export interface EventOutcome {
  eventId: string;
  kind: IdentityEventKind;
  workflowId?: string;
  outcome: RunResult['outcome'] | 'duplicate' | 'superseded-before-start' | 'deferred' | 'removed';
  at: string;
  message?: string;
}

/** Everything the person workflow carries across continue-as-new. Small by construction. */
export interface PersonLifecycleState {
  anchor: string;
  options: PersonLifecycleOptions;
  seenEventIds: string[];
  queue: IdentityEvent[];
  /** `fromPlan`: scheduled from the directory's leave date (a later plan without one cancels it), else from a leaver event. */
  pendingLeave?: { eventId: string; dueAt: string; reason: string; fromPlan?: boolean };
  pendingRemovals: PendingRemoval[];
  recent: EventOutcome[];
  lastResult?: RunResult;
  /** Accounts idsync created or adopted, by target; kept until the account is removed. */
  links?: Record<string, AccountLink>;
  /** Where the person stands: converged, or partial/failed with `outcomeReason`. */
  outcome?: ConvergenceOutcome;
  outcomeReason?: string;
  retry?: ScheduledRetry;
  /** The latest record an authoritative intake source pushed (cleared by a leaver). */
  pushedPerson?: Person;
  /** Keyed hash of the username from the last run that found the person; kept after they leave the directory. */
  usernameKey?: string;
}

export interface PersonStatus {
  anchor: string;
  activeRun?: { workflowId: string; kind: IdentityEventKind; eventId: string; startedAt: string };
  queued: { eventId: string; kind: IdentityEventKind }[];
  pendingLeave?: PersonLifecycleState['pendingLeave'];
  pendingRemovals: PendingRemoval[];
  recent: EventOutcome[];
  lastResult?: RunResult;
  links: Record<string, AccountLink>;
  outcome?: ConvergenceOutcome;
  outcomeReason?: string;
  retry?: ScheduledRetry;
}
