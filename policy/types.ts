import type { DesiredAccount } from '../targets/adapter';

/** Outcome of the access policy for one person and one target: a pure function of (person, policy). */
export interface DesiredTargetState {
  target: string;
  /** Whether the person should have an account in this target at all. */
  inScope: boolean;
  /** Why (in or out of scope): the scope rule's id and a short human sentence. */
  scopeReason: string;
  /** Present when inScope. Entitlements carry the rule that caused them and `privileged`. */
  account?: DesiredAccount;
  /** Grace period for this target's leaver path, in ms (from target config). */
  gracePeriodMs: number;
}

/** Per-person plan across all targets, in target-name order (stable, for diffs and replay). */
export interface DesiredState {
  anchor: string;
  targets: DesiredTargetState[];
  /** Problems with the person's data that prevent provisioning a target (e.g. no email), per target. */
  problems: { target: string; field: string; message: string }[];
}
