import type { Person } from '../lib/person';
import { parseDuration } from '../lib/duration';
import type { PolicyConfig, ScopeRule, TargetPolicy } from './config';
import type { ApprovalRequirement, DesiredState, DesiredTargetState } from './types';
import { matchesCondition, personFacts, type PersonFacts } from './rules';
import { resolveEntitlements } from './entitlements';
import { describePerson, mapAccountFields } from './account';
import { readLifecycleDate } from './dates';

/**
 * The access policy as a pure function: (person, policy, targets, now) -> desired state per target.
 * No clock, no randomness, no I/O and no zod at run time, so Temporal workflow code may call it and a
 * replay computes exactly the same result. Output order is stable: targets by name, entitlements by
 * kind then name, problems by target then field.
 */

export interface PolicyTarget {
  kind: string;
  gracePeriod: string;
}

type Problem = DesiredState['problems'][number];

const isoOf = (ms: number) => new Date(ms).toISOString();
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byTargetThenField = (a: Problem, b: Problem) => compareText(a.target, b.target) || compareText(a.field, b.field);

function employeeTypeAllowed(facts: PersonFacts, rule: ScopeRule, defaults: readonly string[]): boolean {
  if (rule.when?.employeeType !== undefined) return true; // the rule's own condition decides
  return defaults.some((t) => t.toLowerCase() === facts.employeeType.toLowerCase());
}

function describeRule(rule: { id: string; description?: string }): string {
  return rule.description ? `${rule.id} (${rule.description})` : rule.id;
}

/** The first exclude rule that matches, else the first scope rule that matches, else none. */
function findScope(facts: PersonFacts, tp: TargetPolicy, defaults: readonly string[]): { excludedBy?: ScopeRule; includedBy?: ScopeRule } {
  const excludedBy = (tp.exclude ?? []).find((rule) => matchesCondition(facts, rule.when));
  if (excludedBy) return { excludedBy };
  return { includedBy: tp.scope.find((rule) => employeeTypeAllowed(facts, rule, defaults) && matchesCondition(facts, rule.when)) };
}

function targetBase(target: string, config: PolicyTarget, policy: Pick<PolicyConfig, 'lifecycle'>) {
  return { target, targetKind: config.kind, gracePeriodMs: parseDuration(policy.lifecycle.gracePeriod[target] ?? config.gracePeriod) };
}

/** The desired state of someone no longer in the directory: out of scope everywhere, for `reason`. */
export function outOfScopeEverywhere(anchor: string, policy: Pick<PolicyConfig, 'lifecycle'>, targets: Record<string, PolicyTarget>, reason: string): DesiredState {
  return {
    anchor,
    targets: Object.keys(targets)
      .sort()
      .map((target) => ({ ...targetBase(target, targets[target]!, policy), inScope: false, scopeReason: `out of scope: ${reason}` })),
    problems: [],
  };
}

export function computeDesiredState(person: Person, policy: PolicyConfig, targets: Record<string, PolicyTarget>, now: Date): DesiredState {
  const nowMs = now.getTime();
  const who = describePerson(person);
  const facts = personFacts(person, policy.employeeTypes.whenMissing);
  const lifecycle = policy.lifecycle;
  const start = readLifecycleDate(person, lifecycle.startDate, 'start');
  const end = readLifecycleDate(person, lifecycle.endDate, 'end');
  const startAt = start.ok ? start.at : undefined;
  // A leave date on or before the start date belongs to an earlier employment (rehire): ignore it.
  const endAt = end.ok && end.at !== undefined && !(startAt !== undefined && startAt >= end.at) ? end.at : undefined;

  const startsLater = startAt !== undefined && startAt > nowMs;
  // When a future starter's accounts may exist (inactive): now, a window before the start, or at the start.
  const preCreateFrom =
    startAt === undefined ? undefined
    : !lifecycle.preCreateInactive ? startAt
    : lifecycle.preCreateWindow === undefined ? -Infinity
    : startAt - parseDuration(lifecycle.preCreateWindow);

  // Directories commonly keep a future joiner's entry disabled until the start date: that is a
  // future starter (accounts stay inactive), not a leaver. At the start date the flag counts again.
  let everywhereOut: string | undefined;
  if (!person.enabled && !startsLater) everywhereOut = 'out of scope: the account is disabled in the directory';
  else if (endAt !== undefined && endAt <= nowMs) everywhereOut = `out of scope: leave date ${end.text} has passed`;

  const problems: Problem[] = [];
  const states: DesiredTargetState[] = [];
  const approvalGrants: ApprovalRequirement['grants'] = [];

  for (const target of Object.keys(targets).sort()) {
    const kind = targets[target]!.kind;
    const base = targetBase(target, targets[target]!, policy);
    const out = (scopeReason: string, scopeRule?: string): DesiredTargetState => ({ ...base, inScope: false, scopeReason, ...(scopeRule ? { scopeRule } : {}) });
    const tp = policy.targets[target];
    if (!tp) {
      states.push(out('out of scope: the policy has no section for this target'));
      continue;
    }
    if (everywhereOut) {
      states.push(out(everywhereOut));
      continue;
    }
    const { excludedBy, includedBy } = findScope(facts, tp, policy.employeeTypes.default);
    if (excludedBy) {
      states.push(out(`out of scope: excluded by rule ${describeRule(excludedBy)}`, excludedBy.id));
      continue;
    }
    if (!includedBy) {
      states.push(out(`out of scope: no scope rule matches (${facts.employeeType}; rules: ${tp.scope.map((r) => r.id).join(', ') || 'none'})`));
      continue;
    }
    const scopeReason = `in scope by rule ${describeRule(includedBy)}`;
    const targetProblems: Omit<Problem, 'target'>[] = [];
    if (!start.ok) targetProblems.push({ field: lifecycle.startDate, message: `${who}: start date "${start.text}" is not a date (YYYY-MM-DD or ISO timestamp with offset)` });
    if (!end.ok) targetProblems.push({ field: lifecycle.endDate, message: `${who}: leave date "${end.text}" is not a date (YYYY-MM-DD or ISO timestamp with offset)` });
    if (includedBy.requireEndDate && end.ok && endAt === undefined) {
      targetProblems.push({ field: lifecycle.endDate, message: `${who}: scope rule ${includedBy.id} of target ${target} requires a leave date and there is none` });
    }

    if (startsLater && targetProblems.length === 0 && preCreateFrom! > nowMs) {
      const when = lifecycle.preCreateInactive ? `${isoOf(preCreateFrom!)} (pre-created ${lifecycle.preCreateWindow} before the start date ${start.text})` : `the start date ${start.text}`;
      states.push(out(`out of scope until ${when}: ${scopeReason}`, includedBy.id));
      continue;
    }

    const mapped = mapAccountFields(person, tp, target, kind, policy.maps);
    targetProblems.push(...mapped.problems);
    if (targetProblems.length > 0) {
      problems.push(...targetProblems.map((p) => ({ target, ...p })));
      states.push({ ...base, inScope: true, scopeReason, scopeRule: includedBy.id, blocked: true });
      continue;
    }
    const { entitlements, conflicts } = resolveEntitlements(facts, tp, kind);
    for (const e of entitlements) if (e.privileged) approvalGrants.push({ target, kind: e.kind, name: e.name, rule: e.rule! });
    states.push({
      ...base,
      inScope: true,
      scopeReason: startsLater ? `${scopeReason}; pre-created inactive until ${start.text}` : scopeReason,
      scopeRule: includedBy.id,
      account: {
        anchor: person.anchor,
        username: mapped.username!,
        email: mapped.email!,
        ...(mapped.givenName !== undefined ? { givenName: mapped.givenName } : {}),
        ...(mapped.familyName !== undefined ? { familyName: mapped.familyName } : {}),
        attributes: mapped.attributes,
        active: !startsLater,
        entitlements,
      },
      ...(conflicts.length > 0 ? { conflicts } : {}),
    });
  }

  problems.sort(byTargetThenField);
  const state: DesiredState = { anchor: person.anchor, targets: states, problems };
  if (!everywhereOut && startAt !== undefined && startAt > nowMs) state.activateAt = isoOf(startAt);
  if (!everywhereOut && endAt !== undefined && endAt > nowMs) state.leaveAt = isoOf(endAt);
  const upcoming = [preCreateFrom, startAt, endAt].filter((at): at is number => at !== undefined && Number.isFinite(at) && at > nowMs);
  if (upcoming.length > 0 && !everywhereOut) state.reevaluateAt = isoOf(Math.min(...upcoming));
  if (approvalGrants.length > 0) {
    const { approvers, deadline } = policy.approvals;
    state.approval = {
      requestedFor: person.anchor,
      ...(approvers.manager && person.managerAnchor && person.managerAnchor !== person.anchor ? { managerAnchor: person.managerAnchor } : {}),
      approverGroups: [...approvers.groups],
      deadlineMs: parseDuration(deadline),
      grants: approvalGrants,
    };
    if (!state.approval.managerAnchor && state.approval.approverGroups.length === 0) {
      for (const target of [...new Set(approvalGrants.map((g) => g.target))]) {
        problems.push({ target, field: 'managerAnchor', message: `${who}: privileged grants in ${target} need an approval, but they have no manager in the directory and policy.approvals lists no approver groups` });
      }
      problems.sort(byTargetThenField);
    }
  }
  return state;
}
