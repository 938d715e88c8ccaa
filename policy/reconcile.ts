/**
 * Reconciliation as pure functions: one target account + who links it + who matches it + what policy
 * wants -> its synchronization situation (after midPoint), the reaction configured for it, and what
 * applying the reactions would do. No I/O and no clock: the activities read, this decides.
 * Details carry identifiers and attribute/entitlement names only, never names or e-mail addresses.
 */
import type { AccountState, EntitlementMode } from '../domain/account';
import type { IdentityEvent } from '../domain/person';
import type { DesiredTargetState } from './types';
import type { TargetPolicy } from './config';
import { planAccountChanges, type PlanOptions, type PlannedChange } from './plan';
import type { Reaction, Situation, TargetReconcileSettings } from './reconcile-config';

export interface AccountVerdict {
  situation: Situation;
  personAnchor?: string;
  /** Further situations that hold too (e.g. drifted and inactive); the first one decides the reaction. */
  also: Situation[];
  detail: string;
}

/** One row of the report: one account of one target. */
export interface ReconcileRow extends AccountVerdict {
  target: string;
  accountId: string;
  /** The account's login name in the target (the only account field the report repeats). */
  username: string;
  reaction: Reaction;
}

export interface ClassifyContext {
  target: string;
  mode: EntitlementMode;
  planOptions?: PlanOptions;
  storesAnchor: boolean;
  /** Anchors of the person workflows whose IdsyncLinks hold this account. */
  linkedBy: readonly string[];
  /** Anchors whose username/email for this target match the account (the target's matching rule). */
  matchedBy: readonly string[];
  /** What policy wants for the person in this target; undefined: the person is not in the directory. */
  desired(anchor: string): DesiredTargetState | undefined;
  /** Whether policy marks this grant privileged in this target. */
  privileged(kind: string, name: string): boolean;
  /** Whether the audit log holds an approval of this grant for this person. */
  approved(anchor: string, kind: string, name: string): boolean;
  /** Active accounts with a last activity before this instant are inactive. */
  inactiveBeforeMs: number;
}

const isCut = (account: AccountState) => !account.active || account.suspended === true;

function isInactive(account: AccountState, beforeMs: number): boolean {
  if (isCut(account) || !account.lastActivityAt) return false;
  const at = Date.parse(account.lastActivityAt);
  return Number.isFinite(at) && at < beforeMs;
}

/** Plan lines that are real differences: not 'keep', not a removal that only waits for its grace period. */
export function driftLines(desired: DesiredTargetState, account: AccountState, mode: EntitlementMode, options: PlanOptions, storesAnchor: boolean): PlannedChange[] {
  let lines = planAccountChanges(desired, account, mode, options).filter((l) => l.action !== 'keep');
  if (!storesAnchor) lines = lines.filter((l) => l.action !== 'link');
  if (!desired.inScope && lines.every((l) => l.action === 'remove')) return [];
  return lines;
}

const describeLines = (lines: readonly PlannedChange[]) => lines.map((l) => `${l.action} ${l.subject}`).join(', ');

function unapprovedGrants(ctx: ClassifyContext, anchor: string, account: AccountState): string[] {
  return account.entitlements.filter((e) => ctx.privileged(e.kind, e.name) && !ctx.approved(anchor, e.kind, e.name)).map((e) => `${e.kind}:${e.name}`);
}

/** The account belongs to `anchor` (by link or by matching): compare it with policy. */
function evaluate(ctx: ClassifyContext, account: AccountState, anchor: string, linked: boolean, inactive: boolean): AccountVerdict {
  const desired = ctx.desired(anchor);
  const how = linked ? 'linked' : account.anchor === anchor ? 'anchored' : 'matched by username/email';
  if (!desired) {
    if (isCut(account)) return { situation: 'inSync', personAnchor: anchor, also: [], detail: `${how} to a person no longer in the directory; access already cut` };
    return { situation: 'goneActive', personAnchor: anchor, also: inactive ? ['inactive'] : [], detail: `${how} to a person no longer in the directory, account still active` };
  }
  const drift = driftLines(desired, account, ctx.mode, ctx.planOptions ?? {}, ctx.storesAnchor);
  const unapproved = unapprovedGrants(ctx, anchor, account);
  const found: { situation: Situation; detail: string }[] = [];
  if (!linked) found.push({ situation: 'unlinked', detail: `${how}, no link${drift.length > 0 ? `; differs: ${describeLines(drift)}` : ''}` });
  if (drift.length > 0) found.push({ situation: 'drifted', detail: `differs from policy: ${describeLines(drift)}` });
  if (unapproved.length > 0) found.push({ situation: 'unapprovedPrivileged', detail: `privileged grant(s) with no approval on record: ${unapproved.join(', ')}` });
  if (inactive) found.push({ situation: 'inactive', detail: `no activity since ${account.lastActivityAt}` });
  if (found.length === 0) return { situation: 'inSync', personAnchor: anchor, also: [], detail: desired.blocked ? 'person blocked by a data problem: left as is' : 'as policy wants' };
  const [first, ...rest] = found;
  const extra = rest.filter((f) => f.situation !== 'drifted' || first!.situation !== 'unlinked');
  return {
    situation: first!.situation,
    personAnchor: anchor,
    also: rest.map((f) => f.situation),
    detail: [first!.detail, ...extra.map((f) => f.detail)].join('; '),
  };
}

/** Link first, then the account's anchor where the target stores one, then username/email. */
export function classifyAccount(ctx: ClassifyContext, account: AccountState): AccountVerdict {
  const inactive = isInactive(account, ctx.inactiveBeforeMs);
  const alsoInactive: Situation[] = inactive ? ['inactive'] : [];
  const linkedBy = [...new Set(ctx.linkedBy)].sort();
  if (linkedBy.length > 1) return { situation: 'disputed', also: alsoInactive, detail: `linked by ${linkedBy.length} people: ${linkedBy.join(', ')}` };
  if (linkedBy.length === 1) return evaluate(ctx, account, linkedBy[0]!, true, inactive);
  if (ctx.storesAnchor && account.anchor) {
    if (ctx.desired(account.anchor)) return evaluate(ctx, account, account.anchor, false, inactive);
    if (isCut(account)) return { situation: 'orphan', personAnchor: account.anchor, also: [], detail: 'anchored to a person no longer in the directory; access already cut' };
    return { situation: 'goneActive', personAnchor: account.anchor, also: alsoInactive, detail: 'anchored to a person no longer in the directory, account still active' };
  }
  const matchedBy = [...new Set(ctx.matchedBy)].sort();
  if (matchedBy.length > 1) return { situation: 'disputed', also: alsoInactive, detail: `matches ${matchedBy.length} people: ${matchedBy.join(', ')}` };
  if (matchedBy.length === 1) return evaluate(ctx, account, matchedBy[0]!, false, inactive);
  return { situation: 'orphan', also: alsoInactive, detail: 'no person in the directory links or matches this account' };
}

/**
 * Two accounts of one target for one person are disputed (both of them): which one idsync manages is
 * for a human to decide. Accounts already cut are left out (a leftover awaiting removal is no dispute).
 */
export function markDuplicateAccounts<R extends Pick<ReconcileRow, 'target' | 'accountId' | 'situation' | 'personAnchor' | 'also' | 'detail'>>(rows: R[]): R[] {
  const claimable = (r: R) => r.personAnchor !== undefined && r.situation !== 'disputed' && r.situation !== 'orphan' && !r.detail.includes('access already cut');
  const byPerson = new Map<string, R[]>();
  for (const r of rows) if (claimable(r)) byPerson.set(`${r.target}\u0000${r.personAnchor}`, [...(byPerson.get(`${r.target}\u0000${r.personAnchor}`) ?? []), r]);
  const disputed = new Map<R, string>();
  for (const group of byPerson.values()) {
    if (group.length < 2) continue;
    const ids = group.map((g) => g.accountId).sort();
    for (const r of group) disputed.set(r, `person ${r.personAnchor} has ${group.length} accounts: ${ids.join(', ')}`);
  }
  return rows.map((r) => {
    const detail = disputed.get(r);
    return detail ? { ...r, situation: 'disputed', also: [r.situation, ...r.also].filter((s) => s !== 'inSync'), detail: `${detail}; was ${r.situation}: ${r.detail}` } : r;
  });
}

export function reactionFor(situation: Situation, settings: Pick<TargetReconcileSettings, 'reactions'>): Reaction {
  return settings.reactions[situation];
}

/** Every (kind, lower-case name) the target's policy grants as privileged, anywhere. */
export function privilegedGrants(policy: TargetPolicy | undefined): Set<string> {
  const keys = new Set<string>();
  const add = (grant: unknown) => {
    for (const g of Array.isArray(grant) ? grant : [grant]) {
      const { kind, name, privileged } = g as { kind: string; name: string; privileged?: boolean };
      if (privileged) keys.add(grantKey(kind, name));
    }
  };
  if (policy?.birthright) add(policy.birthright.grant);
  for (const rule of policy?.rules ?? []) add(rule.grant);
  return keys;
}

export const grantKey = (kind: string, name: string) => `${kind}\u0000${name.toLowerCase()}`;

export interface Suspension {
  target: string;
  accountId: string;
  username: string;
  personAnchor?: string;
  situation: Situation;
}

export interface AppliedPlan {
  /** One event per person: `sync` to correct or link, `leaver` for a person gone with an active account. */
  events: IdentityEvent[];
  suspensions: Suspension[];
  /** People (and orphan accounts) a run would change: what the mass-change guard counts. */
  changedSubjects: number;
}

/** What applying the rows' reactions means: person events (deduplicated per person) and direct suspensions. */
export function planReactions(rows: readonly ReconcileRow[], runKey: string, observedAt: string): AppliedPlan {
  const kinds = new Map<string, 'sync' | 'leaver'>();
  const reasons = new Map<string, Set<string>>();
  const suspensions: Suspension[] = [];
  for (const row of rows) {
    if (row.reaction === 'suspend') {
      suspensions.push({ target: row.target, accountId: row.accountId, username: row.username, personAnchor: row.personAnchor, situation: row.situation });
    } else if ((row.reaction === 'correct' || row.reaction === 'link') && row.personAnchor) {
      const kind = row.situation === 'goneActive' ? 'leaver' : 'sync';
      if (kinds.get(row.personAnchor) !== 'leaver') kinds.set(row.personAnchor, kind);
      reasons.set(row.personAnchor, (reasons.get(row.personAnchor) ?? new Set()).add(`${row.target} ${row.situation}`));
    }
  }
  const events: IdentityEvent[] = [...kinds.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([anchor, kind]) => ({
      eventId: `reconcile-${runKey}-${anchor}`,
      kind,
      anchor,
      source: 'reconcile',
      observedAt,
      reason: `reconciliation: ${[...reasons.get(anchor)!].sort().join(', ')}`,
    }));
  const suspendedPeople = new Set(suspensions.map((s) => s.personAnchor ?? `account:${s.target}:${s.accountId}`));
  for (const anchor of kinds.keys()) suspendedPeople.add(anchor);
  return { events, suspensions, changedSubjects: suspendedPeople.size };
}

/** Counts per situation, for the summary (never the rows themselves). */
export function countSituations(rows: readonly Pick<ReconcileRow, 'situation'>[]): Partial<Record<Situation, number>> {
  const counts: Partial<Record<Situation, number>> = {};
  for (const r of rows) counts[r.situation] = (counts[r.situation] ?? 0) + 1;
  return counts;
}
