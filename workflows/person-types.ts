/**
 * Plain data exchanged between the person workflows, their activities and the CLI. Type-only
 * imports keep this file free of runtime dependencies, so workflow code can import it.
 */
import type { DesiredAccount, Entitlement, EntitlementMode } from '../targets/adapter';
import type { IdentityEvent, IdentityEventKind } from '../lib/person';
import type { PlannedChange } from '../policy/plan';
import type { DesiredTargetState } from '../policy/types';

/** One line of a plan: what would change in one target and the rule (or reason) behind it (policy/plan.ts). */
export type PlanLine = PlannedChange;

/** The account as it already exists in the target, reduced to what planning and matching need. */
export interface ExistingAccount {
  id: string;
  username: string;
  email?: string;
  active: boolean;
  suspended: boolean;
  entitlements: Entitlement[];
}

export interface TargetPlan {
  target: string;
  targetKind?: string;
  inScope: boolean;
  scopeRule?: string;
  conflicts?: DesiredTargetState['conflicts'];
  scopeReason: string;
  account?: DesiredAccount;
  existing?: ExistingAccount;
  /** Entitlements applied without waiting: everything unprivileged, plus privileged grants the account already holds. */
  grantNow: Entitlement[];
  /** Privileged grants the account does not hold yet: they wait for an approval. */
  heldForApproval: Entitlement[];
  mode: EntitlementMode;
  gracePeriodMs: number;
  /** Bad directory data that blocks this target (and only this target). */
  problem?: { field: string; message: string };
  lines: PlanLine[];
}

export interface PersonPlan {
  anchor: string;
  /** False when the directory no longer has the person (deleted or out of scope). */
  found: boolean;
  /** Username, for the approval self-check; an identifier like the anchor. */
  username?: string;
  /** ISO start date when it lies in the future: accounts are pre-created inactive (or wait) until then. */
  activateAt?: string;
  /** ISO leave date when it lies in the future: the person workflow starts the leaver then. */
  leaveAt?: string;
  /** Data problems, each naming the person, the field and the target. */
  problems: { target: string; field: string; message: string }[];
  approvalTimeoutMs: number;
  plannedAt: string;
  targets: TargetPlan[];
}

export type TargetStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface TargetProgress {
  target: string;
  status: TargetStatus;
  /** What the run did or intends for this target, e.g. "provision", "suspend", "nothing to do". */
  path: 'provision' | 'suspend' | 'none';
  accountId?: string;
  changes: number;
  error?: string;
}

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
}

export interface RunInput {
  anchor: string;
  eventId: string;
  kind: IdentityEventKind;
  reason: string;
  options: RunOptions;
}

export interface RunResult {
  eventId: string;
  kind: IdentityEventKind;
  workflowId: string;
  outcome: 'completed' | 'partial' | 'superseded' | 'failed';
  plan?: PersonPlan;
  targets: TargetProgress[];
  approval?: ApprovalRequestView;
  /** Targets the run suspended; the person workflow removes them once their grace period ends. */
  scheduledRemovals: ScheduledRemoval[];
  /** Targets the person is in scope for after this run: a pending removal there is cancelled. */
  inScopeTargets: string[];
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
}

export interface PersonLifecycleOptions extends RunOptions {
  /** Event ids remembered for de-duplication (bounded memory). */
  rememberedEvents?: number;
  /** Finish the entity workflow after this long with nothing queued or pending (ms). */
  idleFinishMs?: number;
  /** Continue as new after this many events (the server may ask earlier). */
  eventsPerRun?: number;
}

export interface EventOutcome {
  eventId: string;
  kind: IdentityEventKind;
  workflowId?: string;
  outcome: RunResult['outcome'] | 'duplicate' | 'superseded-before-start' | 'deferred';
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
}

export interface PersonStatus {
  anchor: string;
  activeRun?: { workflowId: string; kind: IdentityEventKind; eventId: string; startedAt: string };
  queued: { eventId: string; kind: IdentityEventKind }[];
  pendingLeave?: PersonLifecycleState['pendingLeave'];
  pendingRemovals: PendingRemoval[];
  recent: EventOutcome[];
  lastResult?: RunResult;
}
