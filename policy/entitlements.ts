import type { Entitlement } from '../domain/account';
import type { TargetPolicy } from './config';
import type { EntitlementConflict } from './types';
import { grantEntries, matchesCondition, type PersonFacts } from './rules';
import { compareText } from '../lib/compare-text';
import type { TargetKindDescription } from '../domain/target-kind';

/** One grant offered by one rule, before deduplication and conflict resolution. */
interface Candidate {
  kind: string;
  name: string;
  privileged: boolean;
  rule: string;
  priority: number;
  /** Position of the rule in the policy; birthright is after every rule so any rule beats it. */
  order: number;
  birthright: boolean;
}


/** Identity of a grant within a target: kind, and the name without letter case (targets compare names so). */
export function entitlementKey(e: Pick<Entitlement, 'kind' | 'name'>): string {
  return `${e.kind}\u0000${e.name.toLowerCase()}`;
}

/** Rules before birthright, then higher priority, then the rule listed first. */
function byPrecedence(a: Candidate, b: Candidate): number {
  if (a.birthright !== b.birthright) return a.birthright ? 1 : -1;
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.order - b.order;
}

function candidatesFor(facts: PersonFacts, policy: TargetPolicy): Candidate[] {
  const found: Candidate[] = [];
  (policy.rules ?? []).forEach((rule, order) => {
    if (!matchesCondition(facts, rule.when)) return;
    for (const { grant } of grantEntries(rule.grant)) {
      found.push({ kind: grant.kind, name: grant.name, privileged: grant.privileged === true, rule: rule.id, priority: rule.priority ?? 0, order, birthright: false });
    }
  });
  if (policy.birthright) {
    const order = (policy.rules ?? []).length;
    for (const { grant } of grantEntries(policy.birthright.grant)) {
      found.push({ kind: grant.kind, name: grant.name, privileged: grant.privileged === true, rule: policy.birthright.id, priority: 0, order, birthright: true });
    }
  }
  return found.sort(byPrecedence);
}

export interface ResolvedEntitlements {
  entitlements: Entitlement[];
  conflicts: EntitlementConflict[];
}

/**
 * The entitlements a person in scope gets in one target. The same grant from several rules appears once,
 * attributed to the rule with precedence, privileged if any of them marks it so. For single-valued kinds
 * the candidate with precedence wins (rules beat birthright, then higher priority, then listed first);
 * rules that wanted another value are reported as a conflict. Output sorted by kind, then name.
 * Single-valued and subsumed kinds come from the target kind's description.
 */
export function resolveEntitlements(facts: PersonFacts, policy: TargetPolicy, kind: Pick<TargetKindDescription, 'singleValuedKinds' | 'subsumedKinds'>): ResolvedEntitlements {
  const single = new Set(kind.singleValuedKinds);
  const sameGrant = (a: Candidate, b: Candidate) => a.kind === b.kind && a.name.toLowerCase() === b.name.toLowerCase();
  const candidates = candidatesFor(facts, policy);
  const entitlements: Entitlement[] = [];
  const conflicts: EntitlementConflict[] = [];
  const done = new Set<string>();
  for (const winner of candidates) {
    const key = single.has(winner.kind) ? winner.kind : `${winner.kind}\u0000${winner.name.toLowerCase()}`;
    if (done.has(key)) continue;
    done.add(key);
    const same = candidates.filter((c) => sameGrant(c, winner));
    entitlements.push({ kind: winner.kind, name: winner.name, privileged: same.some((c) => c.privileged), rule: winner.rule });
    if (!single.has(winner.kind) || winner.birthright) continue;
    const rivals = candidates.filter((c) => c.kind === winner.kind && !c.birthright && !sameGrant(c, winner));
    if (rivals.length === 0) continue;
    const topRival = Math.max(...rivals.map((r) => r.priority));
    conflicts.push({
      kind: winner.kind,
      chosen: { name: winner.name, rule: winner.rule },
      overruled: rivals.map((r) => ({ name: r.name, rule: r.rule, priority: r.priority })),
      resolvedBy: winner.priority > topRival ? 'priority' : 'order',
    });
  }
  const subsumed = kind.subsumedKinds;
  const kept = entitlements.filter(
    (e) => !(e.kind in subsumed) || !entitlements.some((other) => other.kind === subsumed[e.kind] && other.name.toLowerCase() === e.name.toLowerCase()),
  );
  kept.sort((a, b) => compareText(a.kind, b.kind) || compareText(a.name, b.name));
  conflicts.sort((a, b) => compareText(a.kind, b.kind));
  return { entitlements: kept, conflicts };
}
