import type { DesiredAccount } from '../domain/account';

/** Several rules wanted different values of a single-valued kind (profile, role, primaryTeam); one won. */
export interface EntitlementConflict {
  kind: string;
  chosen: { name: string; rule: string };
  /** The rules that lost, with the value each wanted. */
  overruled: { name: string; rule: string; priority: number }[];
  /** 'priority': the winner had the higher priority; 'order': equal priority, the rule listed first won (worth a look). */
  resolvedBy: 'priority' | 'order';
}

/** Outcome of the access policy for one person and one target: a pure function of (person, policy). */
export interface DesiredTargetState {
  target: string;
  /** The target's kind (salesforce, hubspot, highspot, scim). */
  targetKind?: string;
  /** Whether the person should have an account in this target at all. */
  inScope: boolean;
  /** Why (in or out of scope): the scope rule's id and a short human sentence. */
  scopeReason: string;
  /** Id of the scope rule that admitted the person, or of the exclude rule that kept them out. */
  scopeRule?: string;
  /**
   * Present when inScope and not blocked. Entitlements carry the rule that caused them and `privileged`.
   * `active: false` means pre-create inactive (future start date; see DesiredState.activateAt).
   */
  account?: DesiredAccount;
  /**
   * In scope, but the person's data is unusable for this target (see DesiredState.problems): leave the
   * target untouched — neither provision nor deprovision — until the data is fixed.
   */
  blocked?: boolean;
  /**
   * Entitlement kinds of this target a person holds at most one of (from the kind's description),
   * so a plan can say which grant replaces which. Present with `account`.
   */
  singleValuedKinds?: string[];
  /** Single-valued entitlement conflicts and how they were resolved. */
  conflicts?: EntitlementConflict[];
  /** Grace period for this target's leaver path, in ms (policy.lifecycle.gracePeriod or target config). */
  gracePeriodMs: number;
}

/** Who may approve the person's privileged grants; never the person themself (see policy/approvals.ts). */
export interface ApprovalRequirement {
  /** Anchor of the person the grants are for. */
  requestedFor: string;
  /** The manager's anchor when managers may approve and the directory names one. */
  managerAnchor?: string;
  /** Members of these groups may approve. */
  approverGroups: string[];
  deadlineMs: number;
  /** The privileged grants waiting for approval, in target then kind/name order. */
  grants: { target: string; kind: string; name: string; rule: string }[];
}

/** Per-person plan across all targets, in target-name order (stable, for diffs and replay). */
export interface DesiredState {
  anchor: string;
  targets: DesiredTargetState[];
  /**
   * Problems with the person's data, per target, each naming the person, the field and the target.
   * Targets with a problem that prevents provisioning are `blocked`; other targets proceed.
   */
  problems: { target: string; field: string; message: string }[];
  /** Future start date (ISO): accounts are pre-created inactive or not yet in scope; re-evaluate at this time. */
  activateAt?: string;
  /** Future leave date (ISO): the person goes out of scope everywhere at this time. */
  leaveAt?: string;
  /**
   * The next instant (ISO) at which this result changes with no directory change: the pre-create
   * window opening, the start date or the leave date, whichever comes first. Wait until then and
   * compute again.
   */
  reevaluateAt?: string;
  /** Present when any account has privileged entitlements. */
  approval?: ApprovalRequirement;
}
