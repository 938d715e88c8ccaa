import type { AccountState, Change, DesiredAccount, Entitlement, EntitlementMode, MatchKeys } from '../domain/account';
import type { ApprovalRequirement, DesiredState, DesiredTargetState, EntitlementConflict } from './types';
import { entitlementKey } from './entitlements';
import { compareText } from '../lib/compare-text';

/**
 * The one plan model: what policy wants, what each target holds, and the readable difference line by
 * line with the rule behind it. Used by the run workflows (through the planning activities), the CLI
 * (`idsync plan`), reconciliation and the tests. Pure: the activities only read the directory and
 * the targets and hand the results here. Adapters compute and apply their own difference when
 * ensuring, so a plan that went stale can never be applied by mistake.
 */

/** 'keep' lines are not changes: merge mode leaving an entitlement policy does not grant. */
export type PlannedAction = Change['action'] | 'keep';

export interface PlannedChange {
  action: PlannedAction;
  target: string;
  /** "account", "username", "attribute:Department", "permissionSet:Sales_Ops", ... */
  subject: string;
  before?: unknown;
  after?: unknown;
  /** Id of the policy rule that causes the line (scope rule for account-level lines). */
  rule?: string;
  /** A privileged grant: applied only after an approval. */
  privileged?: boolean;
  /** Short human sentence: why. */
  reason: string;
}

export function hasChanges(changes: readonly PlannedChange[]): boolean {
  return changes.some((c) => c.action !== 'keep');
}

const subjectOf = (e: Entitlement) => `${e.kind}:${e.name}`;
const byEntitlement = (a: Entitlement, b: Entitlement) => compareText(a.kind, b.kind) || compareText(a.name, b.name);

/** Renders milliseconds as the largest whole unit ("30d", "36h", "90s"). */
export function formatDurationMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function sameValue(a: unknown, b: unknown): boolean {
  const left = a ?? null;
  const right = b ?? null;
  if (left === null || right === null) return left === right;
  return String(left) === String(right);
}

function leaverChanges(desired: DesiredTargetState, actual: AccountState): PlannedChange[] {
  const base = { target: desired.target, ...(desired.scopeRule ? { rule: desired.scopeRule } : {}) };
  const grace = formatDurationMs(desired.gracePeriodMs);
  const changes: PlannedChange[] = [];
  if (actual.active && !actual.suspended) {
    changes.push({ ...base, action: 'suspend', subject: 'account', before: actual.username, reason: desired.scopeReason });
  }
  changes.push({
    ...base,
    action: 'remove',
    subject: 'account',
    before: actual.username,
    reason: `after the grace period of ${grace}${changes.length === 0 ? ' (access already cut)' : ''}`,
  });
  return changes;
}

function accountChanges(desired: DesiredTargetState, actual: AccountState): PlannedChange[] {
  const account = desired.account!;
  const base = { target: desired.target, ...(desired.scopeRule ? { rule: desired.scopeRule } : {}) };
  const changes: PlannedChange[] = [];
  if (actual.anchor === undefined || actual.anchor === '') {
    changes.push({ ...base, action: 'link', subject: 'anchor', after: account.anchor, reason: 'found by username/email; record the anchor so renames keep matching' });
  } else if (actual.anchor !== account.anchor) {
    changes.push({
      ...base,
      action: 'link',
      subject: 'anchor',
      before: actual.anchor,
      after: account.anchor,
      reason: 'the account is anchored to another identity: the adapter will refuse it (resolve by hand)',
    });
  }
  const core: [string, unknown, unknown, boolean][] = [
    ['username', actual.username, account.username, true],
    ['email', actual.email, account.email, true],
    ['givenName', actual.givenName, account.givenName, false],
    ['familyName', actual.familyName, account.familyName, false],
  ];
  for (const [field, before, after, caseInsensitive] of core) {
    if (after === undefined) continue;
    const equal = caseInsensitive ? String(before ?? '').toLowerCase() === String(after).toLowerCase() : sameValue(before, after);
    if (!equal) changes.push({ ...base, action: 'update', subject: field, before, after, reason: `mapped from the directory (policy.targets.${desired.target}.account)` });
  }
  for (const name of Object.keys(account.attributes).sort()) {
    const before = actual.attributes[name];
    const after = account.attributes[name];
    if (!sameValue(before, after)) {
      changes.push({ ...base, action: 'update', subject: `attribute:${name}`, before: before ?? null, after, reason: `policy.targets.${desired.target}.attributes.${name}` });
    }
  }
  if (account.active) {
    if (actual.suspended) changes.push({ ...base, action: 'unsuspend', subject: 'account', reason: desired.scopeReason });
    if (!actual.active) changes.push({ ...base, action: 'activate', subject: 'account', reason: desired.scopeReason });
  } else if (actual.active) {
    changes.push({ ...base, action: 'deactivate', subject: 'account', reason: 'future start date: the account waits inactive' });
  }
  return changes;
}

/** Target settings that change what an adapter would do, so the plan can say the same. */
export interface PlanOptions {
  /** Grants the target never revokes, as "kind:name" (e.g. Salesforce `ignoreEntitlements`). */
  ignoreEntitlements?: readonly string[];
}

function entitlementChanges(desired: DesiredTargetState, current: readonly Entitlement[], mode: EntitlementMode, options: PlanOptions): PlannedChange[] {
  const target = desired.target;
  const ignored = new Set((options.ignoreEntitlements ?? []).map((e) => e.toLowerCase()));
  const single = new Set(desired.singleValuedKinds ?? []);
  const held = new Map(current.map((e) => [entitlementKey(e), e]));
  const wanted = new Set(desired.account!.entitlements.map(entitlementKey));
  const replaced = new Set<string>();
  const changes: PlannedChange[] = [];
  for (const e of [...desired.account!.entitlements].sort(byEntitlement)) {
    if (held.has(entitlementKey(e))) continue;
    const previous = single.has(e.kind) ? current.filter((c) => c.kind === e.kind && !wanted.has(entitlementKey(c))).sort(byEntitlement)[0] : undefined;
    if (previous) replaced.add(entitlementKey(previous));
    changes.push({
      action: 'grant',
      target,
      subject: subjectOf(e),
      ...(previous ? { before: previous.name } : {}),
      after: e.name,
      ...(e.rule ? { rule: e.rule } : {}),
      ...(e.privileged ? { privileged: true } : {}),
      reason: [previous && `replaces ${e.kind} ${previous.name}`, e.privileged && 'privileged: needs approval'].filter(Boolean).join('; ') || 'granted by policy',
    });
  }
  for (const e of [...current].sort(byEntitlement)) {
    const key = entitlementKey(e);
    if (wanted.has(key) || replaced.has(key)) continue;
    const rule = e.rule ? { rule: e.rule } : {};
    if (ignored.has(`${e.kind}:${e.name}`.toLowerCase())) {
      changes.push({ action: 'keep', target, subject: subjectOf(e), before: e.name, ...rule, reason: 'listed in the target\'s ignoreEntitlements: never revoked' });
    } else if (mode === 'overwrite') {
      changes.push({ action: 'revoke', target, subject: subjectOf(e), before: e.name, ...rule, reason: 'no policy rule grants it (overwrite mode)' });
    } else {
      changes.push({ action: 'keep', target, subject: subjectOf(e), before: e.name, ...rule, reason: 'not granted by policy; merge mode leaves it in place' });
    }
  }
  return changes;
}

/**
 * What would change in one target for one person. Account-level lines come first (create, link,
 * updates, activation), then grants and revokes in kind/name order. Out of scope: suspend now and
 * remove after the grace period. Blocked by a data problem: nothing (the problem is reported instead).
 */
export function planAccountChanges(desired: DesiredTargetState, actual: AccountState | null, mode: EntitlementMode, options: PlanOptions = {}): PlannedChange[] {
  if (!desired.inScope) return actual ? leaverChanges(desired, actual) : [];
  if (desired.blocked || !desired.account) return [];
  const account = desired.account;
  if (!actual) {
    const base = { target: desired.target, ...(desired.scopeRule ? { rule: desired.scopeRule } : {}) };
    const create: PlannedChange = {
      ...base,
      action: 'create',
      subject: 'account',
      after: { username: account.username, email: account.email, givenName: account.givenName, familyName: account.familyName, active: account.active, attributes: account.attributes },
      reason: account.active ? desired.scopeReason : `${desired.scopeReason} (created inactive)`,
    };
    return [create, ...entitlementChanges(desired, [], mode, options)];
  }
  return [...accountChanges(desired, actual), ...entitlementChanges(desired, actual.entitlements, mode, options)];
}

/** The account as it already exists in the target, reduced to what planning, linking and matching need. */
export interface ExistingAccount {
  id: string;
  username: string;
  email?: string;
  anchor?: string;
  active: boolean;
  suspended: boolean;
  entitlements: Entitlement[];
  lastActivityAt?: string;
}

/** Why a target cannot be planned or applied now. `retryable`: it may pass by itself (network, 5xx, 429). */
export interface TargetProblem {
  field: string;
  message: string;
  retryable?: boolean;
  /** Anchors of the people who hold the account this person's username/e-mail matched: an identity conflict. */
  conflictWith?: string[];
}

/** Per-target settings from config that change what an adapter does, so the plan says the same. */
export interface TargetSettings extends PlanOptions {
  mode: EntitlementMode;
}

/** One target of a person's plan. */
export interface TargetPlan {
  target: string;
  targetKind?: string;
  inScope: boolean;
  scopeRule?: string;
  conflicts?: EntitlementConflict[];
  scopeReason: string;
  account?: DesiredAccount;
  existing?: ExistingAccount;
  /** Entitlements applied without waiting: everything unprivileged, plus privileged grants the account already holds. */
  grantNow: Entitlement[];
  /** Privileged grants the account does not hold yet: they wait for an approval. */
  heldForApproval: Entitlement[];
  mode: EntitlementMode;
  gracePeriodMs: number;
  /** Bad directory data or an unreadable target: this target (and only this one) is not touched. */
  problem?: TargetProblem;
  lines: PlannedChange[];
}

/** A person's plan across every target: what `idsync plan <person>` prints before anything is applied. */
export interface PersonPlan {
  anchor: string;
  /** False when the directory no longer has the person (deleted or out of the source's scope). */
  found: boolean;
  /** Username, for the text and the approval self-check; an identifier like the anchor. */
  username?: string;
  /** Keyed hash of the lower-cased username (app/username-key.ts): the person workflow's search attribute, so `status <username>` finds a leaver. */
  usernameKey?: string;
  /** ISO start date when it lies in the future: accounts wait inactive (or are not created) until then. */
  activateAt?: string;
  /** ISO leave date when it lies in the future: the person workflow starts the leaver then. */
  leaveAt?: string;
  /** Next instant the desired state changes by itself (pre-create window, start, leave). */
  reevaluateAt?: string;
  /** Who may approve the privileged grants, and the deadline. */
  approval?: ApprovalRequirement;
  /** Data problems, each naming the person, the field and the target. */
  problems: { target: string; field: string; message: string }[];
  approvalTimeoutMs: number;
  plannedAt: string;
  targets: TargetPlan[];
}

function toExisting(account: AccountState): ExistingAccount {
  return {
    id: account.id,
    username: account.username,
    ...(account.email !== undefined ? { email: account.email } : {}),
    ...(account.anchor !== undefined ? { anchor: account.anchor } : {}),
    active: account.active,
    suspended: account.suspended ?? false,
    entitlements: account.entitlements,
    ...(account.lastActivityAt !== undefined ? { lastActivityAt: account.lastActivityAt } : {}),
  };
}

/** Privileged grants the account does not hold yet wait for approval; everything else is applied now. */
function splitGrants(desired: DesiredTargetState, existing: AccountState | null): Pick<TargetPlan, 'grantNow' | 'heldForApproval'> {
  const held = new Set((existing?.entitlements ?? []).map(entitlementKey));
  const grantNow: Entitlement[] = [];
  const heldForApproval: Entitlement[] = [];
  for (const e of desired.account?.entitlements ?? []) (e.privileged && !held.has(entitlementKey(e)) ? heldForApproval : grantNow).push(e);
  return { grantNow, heldForApproval };
}

/**
 * Plans one target: the desired state against the account read from it (null: none found). A target
 * with a `problem` (bad data, unreadable) plans no lines: nothing is applied there until it is fixed.
 */
export function planTarget(desired: DesiredTargetState, actual: AccountState | null, settings: TargetSettings, problem?: TargetProblem): TargetPlan {
  return {
    target: desired.target,
    ...(desired.targetKind !== undefined ? { targetKind: desired.targetKind } : {}),
    inScope: desired.inScope,
    scopeReason: desired.scopeReason,
    ...(desired.scopeRule !== undefined ? { scopeRule: desired.scopeRule } : {}),
    ...(desired.conflicts !== undefined ? { conflicts: desired.conflicts } : {}),
    ...(desired.account !== undefined ? { account: desired.account } : {}),
    ...(actual ? { existing: toExisting(actual) } : {}),
    ...splitGrants(desired, actual),
    mode: settings.mode,
    gracePeriodMs: desired.gracePeriodMs,
    ...(problem ? { problem } : {}),
    lines: problem ? [] : planAccountChanges(desired, actual, settings.mode, settings),
  };
}

/** Assembles the per-target plans (in the desired state's target order) into the person's plan. */
export function planPerson(
  desired: DesiredState,
  targets: readonly TargetPlan[],
  meta: { found: boolean; username?: string; usernameKey?: string; approvalTimeoutMs: number; plannedAt: string },
): PersonPlan {
  const byName = new Map(targets.map((t) => [t.target, t]));
  const problems = [...desired.problems];
  for (const t of targets) {
    if (t.problem && !problems.some((p) => p.target === t.target)) problems.push({ target: t.target, field: t.problem.field, message: t.problem.message });
  }
  return {
    anchor: desired.anchor,
    found: meta.found,
    ...(meta.username !== undefined ? { username: meta.username } : {}),
    ...(meta.usernameKey !== undefined ? { usernameKey: meta.usernameKey } : {}),
    ...(desired.activateAt ? { activateAt: desired.activateAt } : {}),
    ...(desired.leaveAt ? { leaveAt: desired.leaveAt } : {}),
    ...(desired.reevaluateAt ? { reevaluateAt: desired.reevaluateAt } : {}),
    ...(desired.approval ? { approval: desired.approval } : {}),
    problems,
    approvalTimeoutMs: meta.approvalTimeoutMs,
    plannedAt: meta.plannedAt,
    targets: desired.targets.map((t) => byName.get(t.target)).filter((t): t is TargetPlan => t !== undefined),
  };
}

/** Convenience for callers holding every account already (tests, reconciliation): plan every target of a desired state. */
export function planPersonFromAccounts(
  desired: DesiredState,
  actual: Readonly<Record<string, AccountState | null | undefined>>,
  settings: Readonly<Record<string, TargetSettings>>,
  meta: Partial<{ found: boolean; username: string; approvalTimeoutMs: number; plannedAt: string }> = {},
): PersonPlan {
  const targets = desired.targets.map((t) => planTarget(t, actual[t.target] ?? null, settings[t.target] ?? { mode: 'overwrite' }, dataProblemFor(desired, t.target)));
  return planPerson(desired, targets, {
    found: meta.found ?? true,
    ...(meta.username !== undefined ? { username: meta.username } : {}),
    approvalTimeoutMs: meta.approvalTimeoutMs ?? desired.approval?.deadlineMs ?? 0,
    plannedAt: meta.plannedAt ?? '',
  });
}

/** What the directory and the policy say about one person, before any target is read. */
export interface PersonDesiredState {
  found: boolean;
  /** Keys for matching accounts that carry no anchor (username/email from the directory). */
  username?: string;
  email?: string;
  /** Keyed hash of the lower-cased username (see PersonPlan.usernameKey); never the username itself. */
  usernameKey?: string;
  desired: DesiredState;
  /** Per target: the entitlement mode and ignore list the adapter applies, so the plan says the same. */
  settings: Record<string, TargetSettings>;
  approvalTimeoutMs: number;
  plannedAt: string;
}

/** How one target's account is found: the remembered link first, then the anchor, then username/email. */
export function matchKeysFor(person: Pick<PersonDesiredState, 'desired' | 'username' | 'email'>, wanted: DesiredTargetState, accountId?: string): MatchKeys {
  const username = wanted.account?.username ?? person.username;
  const email = wanted.account?.email ?? person.email;
  return {
    anchor: person.desired.anchor,
    ...(username !== undefined ? { username } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(accountId !== undefined ? { accountId } : {}),
  };
}

/** The data problem policy found for this target, if any: never retried by itself, a person must fix the data. */
export function dataProblemFor(desired: DesiredState, target: string): TargetProblem | undefined {
  const p = desired.problems.find((x) => x.target === target);
  return p && { field: p.field, message: p.message, retryable: false };
}

/** A target whose read kept failing past the retry policy: planned with the failure as its problem. */
export function unreadableTarget(wanted: DesiredTargetState, settings: TargetSettings, message: string, retryable: boolean): TargetPlan {
  return planTarget(wanted, null, settings, { field: 'connection', message: `target ${wanted.target} could not be read: ${message}`, retryable });
}

/**
 * The account this person's username or e-mail matched is linked to someone else: neither takes an
 * account the other holds. The target is left alone for this person until the directory is fixed.
 */
export function heldAsConflict(tp: TargetPlan, anchor: string, holders: readonly string[]): TargetPlan {
  const accountId = tp.existing?.id ?? '?';
  const message = `identity conflict in ${tp.target}: account ${accountId} matches ${anchor} by username/e-mail but belongs to ${holders.join(', ')}; fix the directory entry (username or e-mail) of one of them`;
  return { ...tp, problem: { field: 'account', message, retryable: false, conflictWith: [...holders] }, lines: [] };
}
