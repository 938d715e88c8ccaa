import type { AccountState, Change, Entitlement, EntitlementMode } from '../targets/adapter';
import type { DesiredState, DesiredTargetState } from './types';

/**
 * The readable difference between what policy wants and what a target holds, for `idsync plan` and
 * approvals. Pure and display-only: adapters compute and apply their own difference when ensuring,
 * so a plan that went stale can never be applied by mistake.
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

const entitlementKey = (e: Entitlement) => `${e.kind}\u0000${e.name.toLowerCase()}`;
const subjectOf = (e: Entitlement) => `${e.kind}:${e.name}`;
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
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

/** A person's plan across every target: what `idsync plan <person>` prints before anything is applied. */
export interface PersonPlan {
  anchor: string;
  /** How to name the person in the text (e.g. username); the anchor when absent. */
  label?: string;
  targets: { desired: DesiredTargetState; mode: EntitlementMode; accountFound: boolean; changes: PlannedChange[] }[];
  problems: DesiredState['problems'];
  activateAt?: string;
  leaveAt?: string;
  reevaluateAt?: string;
  approval?: DesiredState['approval'];
}

/**
 * Plans every target of a desired state. `actual[target]` is the account found (null: none found);
 * a target missing from `actual` was not read and is planned as if it had no account.
 */
export function planPerson(
  desired: DesiredState,
  actual: Readonly<Record<string, AccountState | null | undefined>>,
  modes: Readonly<Record<string, EntitlementMode>>,
  label?: string,
  options: Readonly<Record<string, PlanOptions>> = {},
): PersonPlan {
  return {
    anchor: desired.anchor,
    ...(label ? { label } : {}),
    targets: desired.targets.map((t) => {
      const mode = modes[t.target] ?? 'overwrite';
      const account = actual[t.target] ?? null;
      return { desired: t, mode, accountFound: account !== null, changes: planAccountChanges(t, account, mode, options[t.target]) };
    }),
    problems: desired.problems,
    ...(desired.activateAt ? { activateAt: desired.activateAt } : {}),
    ...(desired.leaveAt ? { leaveAt: desired.leaveAt } : {}),
    ...(desired.reevaluateAt ? { reevaluateAt: desired.reevaluateAt } : {}),
    ...(desired.approval ? { approval: desired.approval } : {}),
  };
}

const SIGNS: Record<PlannedChange['action'], string> = {
  create: '+', grant: '+', link: '~', update: '~', activate: '~', unsuspend: '~',
  revoke: '-', suspend: '-', deactivate: '-', remove: '-', keep: '=',
};

function show(value: unknown): string {
  if (value === undefined || value === null) return '(empty)';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function describeChange(c: PlannedChange): string[] {
  const rule = c.rule ? `  [rule ${c.rule}]` : '';
  const [kind, ...nameParts] = c.subject.split(':');
  const name = nameParts.join(':');
  switch (c.action) {
    case 'create': {
      const after = c.after as { username: string; active: boolean; attributes: Record<string, unknown> };
      const lines = [`+ create account ${after.username}${after.active ? '' : ' (inactive)'}${rule}`];
      for (const [attr, value] of Object.entries(after.attributes)) lines.push(`    ${attr} = ${show(value)}`);
      return lines;
    }
    case 'grant':
      return [`+ grant ${kind} ${show(name)}${c.before !== undefined ? ` (replaces ${show(c.before)})` : ''}${c.privileged ? ' [privileged: needs approval]' : ''}${rule}`];
    case 'revoke':
    case 'keep':
      return [`${SIGNS[c.action]} ${c.action} ${kind} ${show(name)}  (${c.reason})${rule}`];
    case 'update':
    case 'link': {
      const subject = c.subject.startsWith('attribute:') ? `attribute ${c.subject.slice('attribute:'.length)}` : c.subject;
      const note = c.action === 'link' ? `  (${c.reason})` : '';
      return [`~ ${c.action} ${subject}: ${show(c.before)} -> ${show(c.after)}${note}${rule}`];
    }
    default:
      return [`${SIGNS[c.action]} ${c.action} account  (${c.reason})${rule}`];
  }
}

/** Human-readable text plan, stable for the same input (targets by name, lines in plan order). */
export function formatPlan(plan: PersonPlan): string {
  const lines = [`Plan for ${plan.label ?? plan.anchor}${plan.label ? ` (anchor ${plan.anchor})` : ''}`];
  if (plan.activateAt) lines.push(`  starts ${plan.activateAt}: accounts wait inactive (or are created) until then`);
  if (plan.leaveAt) lines.push(`  leaves ${plan.leaveAt}: access ends everywhere then`);
  if (plan.reevaluateAt && plan.reevaluateAt !== plan.activateAt && plan.reevaluateAt !== plan.leaveAt) {
    lines.push(`  accounts are pre-created from ${plan.reevaluateAt}`);
  }
  for (const { desired, mode, accountFound, changes } of plan.targets) {
    const kind = desired.targetKind ? ` (${desired.targetKind}, ${mode})` : ` (${mode})`;
    lines.push('', `${desired.target}${kind}: ${desired.scopeReason}`);
    if (desired.blocked) lines.push('  ! blocked by a data problem: nothing changes here until it is fixed (see problems)');
    else if (changes.length === 0) lines.push(accountFound || desired.inScope ? '  no changes' : '  no account, nothing to do');
    for (const change of changes) lines.push(...describeChange(change).map((l) => `  ${l}`));
    for (const conflict of desired.conflicts ?? []) {
      const losers = conflict.overruled.map((o) => `${show(o.name)} (${o.rule}, priority ${o.priority})`).join(', ');
      lines.push(`  ! conflict on ${conflict.kind}: ${show(conflict.chosen.name)} from ${conflict.chosen.rule} wins by ${conflict.resolvedBy} over ${losers}`);
    }
    if (desired.inScope && !desired.blocked) lines.push(`  grace period before removal: ${formatDurationMs(desired.gracePeriodMs)}`);
  }
  if (plan.problems.length > 0) {
    lines.push('', 'Problems:');
    for (const p of plan.problems) lines.push(`  ! ${p.target} ${p.field}: ${p.message}`);
  }
  if (plan.approval) {
    const a = plan.approval;
    const who = [a.managerAnchor && `manager ${a.managerAnchor}`, a.approverGroups.length > 0 && `a member of ${a.approverGroups.join(', ')}`].filter(Boolean).join(' or ');
    lines.push('', `Approval: ${a.grants.length} privileged grant(s) wait for ${who || 'nobody (see problems)'} within ${formatDurationMs(a.deadlineMs)}:`);
    for (const g of a.grants) lines.push(`  ${g.target} ${g.kind} ${show(g.name)}  [rule ${g.rule}]`);
  }
  return `${lines.join('\n')}\n`;
}
