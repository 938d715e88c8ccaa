import type { Person } from '../domain/person';
import { parseDuration } from '../lib/duration';
import type { TargetKindDescription } from '../domain/target-kind';
import type { PolicyConfig, ScopeRule, TargetPolicy } from './config';
import type { ApprovalRequirement, DesiredState, DesiredTargetState } from './types';
import { matchesCondition, personFacts, type PersonFacts } from './rules';
import { resolveEntitlements } from './entitlements';
import { describePerson, mapAccountFields } from './account';
import { isoOf, readTimeline, upcomingDates, type Timeline } from './lifecycle';
import { compareText } from '../lib/compare-text';
import { normalizePerson } from './normalize';

/**
 * The access policy as a pure function: (person, policy, targets, now) -> desired state per target.
 * No clock, no randomness, no I/O and no zod at run time, so Temporal workflow code may call it and a
 * replay computes exactly the same result. Output order is stable: targets by name, entitlements by
 * kind then name, problems by target then field.
 */

export interface PolicyTarget {
  kind: string;
  gracePeriod: string;
  /** The kind's facts (targets/registry.ts `targetDescription(kind)`), handed in so this code stays pure. */
  description: TargetKindDescription;
}

type Problem = DesiredState['problems'][number];

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

function targetBase(target: string, config: Pick<PolicyTarget, 'kind' | 'gracePeriod'>, policy: Pick<PolicyConfig, 'lifecycle'>) {
  return { target, targetKind: config.kind, gracePeriodMs: parseDuration(policy.lifecycle.gracePeriod[target] ?? config.gracePeriod) };
}

/** The desired state of someone no longer in the directory: out of scope everywhere, for `reason`. */
export function outOfScopeEverywhere(anchor: string, policy: Pick<PolicyConfig, 'lifecycle'>, targets: Record<string, Pick<PolicyTarget, 'kind' | 'gracePeriod'>>, reason: string): DesiredState {
  return {
    anchor,
    targets: Object.keys(targets)
      .sort()
      .map((target) => ({ ...targetBase(target, targets[target]!, policy), inScope: false, scopeReason: `out of scope: ${reason}` })),
    problems: [],
  };
}

interface Evaluation {
  state: DesiredTargetState;
  problems: Problem[];
}

/** One target's outcome: scope, lifecycle, then the account and its entitlements. */
function evaluateTarget(person: Person, facts: PersonFacts, timeline: Timeline, policy: PolicyConfig, target: string, config: PolicyTarget, nowMs: number): Evaluation {
  const base = targetBase(target, config, policy);
  const out = (scopeReason: string, scopeRule?: string): Evaluation => ({ state: { ...base, inScope: false, scopeReason, ...(scopeRule ? { scopeRule } : {}) }, problems: [] });
  const tp = policy.targets[target];
  if (!tp) return out('out of scope: the policy has no section for this target');
  // A disabled person keeps an inactive account, without access, where the target provisions disabled users.
  const inactiveDisabled = timeline.disabledOnly === true && tp.provisionDisabledUsers;
  if (timeline.everywhereOut && !inactiveDisabled) return out(timeline.everywhereOut);
  const { excludedBy, includedBy } = findScope(facts, tp, policy.employeeTypes.default);
  if (excludedBy) return out(`out of scope: excluded by rule ${describeRule(excludedBy)}`, excludedBy.id);
  if (!includedBy) return out(`out of scope: no scope rule matches (${facts.employeeType}; rules: ${tp.scope.map((r) => r.id).join(', ') || 'none'})`);

  const who = describePerson(person);
  const scopeReason = `in scope by rule ${describeRule(includedBy)}`;
  const problems: Problem[] = timeline.dateProblems.map((d) => ({
    target,
    field: d.field,
    message: `${who}: ${d.label} "${d.text}" is not a date (YYYY-MM-DD, ISO timestamp with offset, or LDAP GeneralizedTime)`,
  }));
  if (includedBy.requireEndDate && timeline.endAt === undefined && problems.length === 0) {
    problems.push({ target, field: policy.lifecycle.endDate, message: `${who}: scope rule ${includedBy.id} of target ${target} requires a leave date and there is none` });
  }
  const lifecycle = policy.lifecycle;
  if (timeline.startsLater && problems.length === 0 && timeline.preCreateFrom! > nowMs) {
    const when = lifecycle.preCreateInactive
      ? `${isoOf(timeline.preCreateFrom!)} (pre-created ${lifecycle.preCreateWindow} before the start date ${timeline.startText})`
      : `the start date ${timeline.startText}`;
    return out(`out of scope until ${when}: ${scopeReason}`, includedBy.id);
  }

  const mapped = mapAccountFields(person, tp, target, config.description.accountFields, policy.maps);
  problems.push(...mapped.problems.map((p) => ({ target, ...p })));
  if (problems.length > 0) return { state: { ...base, inScope: true, scopeReason, scopeRule: includedBy.id, blocked: true }, problems };
  const { entitlements, conflicts } = resolveEntitlements(facts, tp, config.description);
  const state: DesiredTargetState = {
    ...base,
    inScope: true,
    scopeReason: timeline.startsLater
      ? `${scopeReason}; pre-created inactive until ${timeline.startText}`
      : inactiveDisabled ? `${scopeReason}; disabled in the directory: inactive account without access (provisionDisabledUsers)` : scopeReason,
    scopeRule: includedBy.id,
    singleValuedKinds: [...config.description.singleValuedKinds],
    account: {
      anchor: person.anchor,
      username: mapped.username!,
      email: mapped.email!,
      ...(mapped.givenName !== undefined ? { givenName: mapped.givenName } : {}),
      ...(mapped.familyName !== undefined ? { familyName: mapped.familyName } : {}),
      attributes: mapped.attributes,
      active: !timeline.startsLater && !inactiveDisabled,
      entitlements: inactiveDisabled ? [] : entitlements,
    },
    ...(conflicts.length > 0 ? { conflicts } : {}),
  };
  return { state, problems: [] };
}

/** Who may approve the privileged grants among the targets' entitlements; a problem when nobody can. */
function approvalFor(person: Person, policy: PolicyConfig, states: DesiredTargetState[]): { approval?: ApprovalRequirement; problems: Problem[] } {
  const grants = states.flatMap((t) => (t.account?.entitlements ?? []).filter((e) => e.privileged).map((e) => ({ target: t.target, kind: e.kind, name: e.name, rule: e.rule! })));
  if (grants.length === 0) return { problems: [] };
  const { approvers, deadline } = policy.approvals;
  const approval: ApprovalRequirement = {
    requestedFor: person.anchor,
    ...(approvers.manager && person.managerAnchor && person.managerAnchor !== person.anchor ? { managerAnchor: person.managerAnchor } : {}),
    approverGroups: [...approvers.groups],
    deadlineMs: parseDuration(deadline),
    grants,
  };
  if (approval.managerAnchor || approval.approverGroups.length > 0) return { approval, problems: [] };
  const who = describePerson(person);
  const problems = [...new Set(grants.map((g) => g.target))].map((target) => ({
    target,
    field: 'managerAnchor',
    message: `${who}: privileged grants in ${target} need an approval, but they have no manager in the directory and policy.approvals lists no approver groups`,
  }));
  return { approval, problems };
}

export function computeDesiredState(directoryPerson: Person, policy: PolicyConfig, targets: Record<string, PolicyTarget>, now: Date): DesiredState {
  // Business units from several directory structures are made to speak one vocabulary first.
  const person = normalizePerson(directoryPerson, policy.normalize ?? [], policy.maps).person;
  const nowMs = now.getTime();
  const facts = personFacts(person, policy.employeeTypes.whenMissing);
  const timeline = readTimeline(person, policy.lifecycle, nowMs);
  const evaluations = Object.keys(targets)
    .sort()
    .map((target) => evaluateTarget(person, facts, timeline, policy, target, targets[target]!, nowMs));
  const states = evaluations.map((e) => e.state);
  const { approval, problems: approvalProblems } = approvalFor(person, policy, states);
  const problems = [...evaluations.flatMap((e) => e.problems), ...approvalProblems].sort(byTargetThenField);
  return {
    anchor: person.anchor,
    targets: states,
    problems,
    ...upcomingDates(timeline, nowMs),
    ...(approval ? { approval } : {}),
  };
}
