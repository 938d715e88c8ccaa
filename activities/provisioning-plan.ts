/**
 * Planning: read the person, run the access policy, read each target's account and describe the
 * difference line by line with the rule behind it (policy/plan.ts). Nothing here writes to a target.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { IdsyncConfig } from '../lib/config';
import type { Runtime } from '../lib/runtime';
import type { AccountState, Entitlement } from '../targets/adapter';
import type { DesiredState, DesiredTargetState } from '../policy/types';
import type { PolicyConfig } from '../policy/config';
import { computeDesiredState } from '../policy/desired-state';
import { planAccountChanges } from '../policy/plan';
import { targetDescription } from '../targets/registry';
import { parseDuration } from '../lib/duration';
import type { ExistingAccount, PersonPlan, TargetPlan } from '../workflows/person-types';

export function enabledTargetNames(config: IdsyncConfig): string[] {
  return Object.entries(config.targets)
    .filter(([, t]) => t.enabled !== false)
    .map(([name]) => name)
    .sort();
}

function entitlementKey(e: Pick<Entitlement, 'kind' | 'name'>): string {
  return `${e.kind}\u0000${e.name.toLowerCase()}`;
}

function policyTargets(config: IdsyncConfig, names: string[]) {
  return Object.fromEntries(names.map((name) => [name, { kind: config.targets[name]!.kind, gracePeriod: config.targets[name]!.gracePeriod, description: targetDescription(config.targets[name]!.kind) }]));
}

function toExisting(account: AccountState): ExistingAccount {
  return { id: account.id, username: account.username, email: account.email, active: account.active, suspended: account.suspended ?? false, entitlements: account.entitlements };
}

/** Splits the desired entitlements: privileged ones the account does not hold yet wait for approval. */
function splitGrants(desired: DesiredTargetState, existing: ExistingAccount | undefined): Pick<TargetPlan, 'grantNow' | 'heldForApproval'> {
  const held = new Set((existing?.entitlements ?? []).map(entitlementKey));
  const grantNow: Entitlement[] = [];
  const heldForApproval: Entitlement[] = [];
  for (const e of desired.account?.entitlements ?? []) (e.privileged && !held.has(entitlementKey(e)) ? heldForApproval : grantNow).push(e);
  return { grantNow, heldForApproval };
}

/** Everyone out of scope: what a person who left the directory is planned as. */
function absentPerson(anchor: string, config: IdsyncConfig, names: string[]): DesiredState {
  const lifecycleGrace = (config.policy as PolicyConfig).lifecycle?.gracePeriod ?? {};
  return {
    anchor,
    problems: [],
    targets: names.map((target) => ({
      target,
      targetKind: config.targets[target]!.kind,
      inScope: false,
      scopeReason: 'out of scope: the person is no longer in the directory',
      gracePeriodMs: parseDuration(lifecycleGrace[target] ?? config.targets[target]!.gracePeriod),
    })),
  };
}

/** Builds the plan for one person. Retryable failures (directory or target down) propagate; per-target data problems become plan lines. */
export async function buildPersonPlan(runtime: Runtime, anchor: string, now: Date, opts: { tolerateUnreachable?: boolean } = {}): Promise<PersonPlan> {
  const { config } = runtime;
  const person = await runtime.directory.getPerson(anchor);
  const names = enabledTargetNames(config);
  const desired = person ? computeDesiredState(person, config.policy as PolicyConfig, policyTargets(config, names), now) : absentPerson(anchor, config, names);
  const problems = [...desired.problems];
  const targets = await Promise.all(
    desired.targets.map(async (wanted): Promise<TargetPlan> => {
      const target = wanted.target;
      const mode = config.targets[target]?.entitlementMode ?? 'overwrite';
      const adapter = runtime.adapters.get(target);
      let found: AccountState | null = null;
      let problem = problems.find((p) => p.target === target);
      if (!adapter) problem ??= { target, field: 'targets', message: `target ${target} has no adapter in this worker` };
      else {
        try {
          found = await adapter.findAccount({ anchor, username: wanted.account?.username ?? person?.username, email: wanted.account?.email ?? person?.email });
        } catch (err) {
          const permanent = err instanceof ApplicationFailure && err.nonRetryable;
          // A target that stays unreachable must not hold up planning (and so provisioning) of the others.
          if (!permanent && !opts.tolerateUnreachable) throw err;
          const field = permanent ? ((err.details?.[0] as { field?: string } | undefined)?.field ?? 'account') : 'connection';
          const message = permanent ? `person ${anchor}: ${err.message}` : `target ${target} unreachable while planning for ${anchor}: ${(err as Error).message}`;
          problem ??= { target, field, message };
          problems.push(problem);
        }
      }
      const existing = found ? toExisting(found) : undefined;
      return {
        target,
        targetKind: wanted.targetKind,
        inScope: wanted.inScope,
        scopeReason: wanted.scopeReason,
        scopeRule: wanted.scopeRule,
        conflicts: wanted.conflicts,
        account: wanted.account,
        existing,
        ...splitGrants(wanted, existing),
        mode,
        gracePeriodMs: wanted.gracePeriodMs,
        problem: problem && { field: problem.field, message: problem.message },
        lines: problem ? [] : planAccountChanges(wanted, found, mode),
      };
    }),
  );
  const approvals = (config.policy as PolicyConfig).approvals;
  return {
    anchor,
    found: person !== null,
    username: person?.username,
    activateAt: desired.activateAt,
    leaveAt: desired.leaveAt,
    approvalTimeoutMs: desired.approval?.deadlineMs ?? parseDuration(approvals?.deadline ?? '72h'),
    plannedAt: now.toISOString(),
    problems,
    targets,
  };
}
